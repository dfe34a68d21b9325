"""``POST /v1/firma``: sign an unsigned document and give it back, without storing or sending it."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from openpse.api.deps import PrincipalDep, RuntimeDep, company_of
from openpse.core.errors import BadRequest, Code, Issue
from openpse.tenants import empresa_context

router = APIRouter(tags=["comprobantes"])


class FirmaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    xml: str = Field(description="XML UBL sin firmar (Invoice, CreditNote o DebitNote) en Base64.")


class FirmaOut(BaseModel):
    xml: str = Field(description="El XML firmado, en Base64.")
    hash: str = Field(description="DigestValue de la firma (valor resumen).")


@router.post("/v1/firma", response_model=FirmaOut, summary="Firmar un XML sin guardarlo ni enviarlo")
def firmar(body: FirmaIn, runtime: RuntimeDep, principal: PrincipalDep) -> FirmaOut:
    empresa = company_of(runtime, principal)
    try:
        xml = base64.b64decode(body.xml, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(Issue(Code.CAMPO_INVALIDO, "xml no es Base64 válido", "xml")) from exc
    authority = runtime.authority(empresa.pais)
    signed, digest = authority.sign_xml(xml, empresa_context(empresa, runtime.box, runtime.keys))
    return FirmaOut(xml=base64.b64encode(signed).decode("ascii"), hash=digest)
