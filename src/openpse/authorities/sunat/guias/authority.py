"""The guías de remisión (09, 31) as an :class:`~openpse.authorities.base.Authority`.

Built and signed here, sent to SUNAT's GRE REST platform (never by SOAP, never through
an OSE), answered through a ticket: ``registrado`` → ``enviando`` → ``pendiente`` →
``aceptado``/``rechazado`` with the CDR, as ``sunat.md`` §6 describes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2

from openpse.authorities.base import Authority, Draft, EmpresaContext, Outcome, Prepared, Submission
from openpse.authorities.sunat.guias.client import GreClient, GreCredentials, GreEndpoints
from openpse.authorities.sunat.guias.models import Emisor, GuiaRemitenteIn, GuiaTransportistaIn
from openpse.authorities.sunat.guias.sending import follow_guia, submit_guia
from openpse.authorities.sunat.guias.service import (
    SignedGuia,
    content_hash,
    parse_guia,
    prepare_guia,
    sign_despatch_xml,
)
from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.documents.states import Estado
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import SunatSignatureProfile

TIPOS = frozenset({"09", "31"})
SANDBOX_CLIENT = ("openpse-sandbox", "sandbox")
"""What the GRE emulator (and SUNAT's public test platforms) take with the MODDATOS user."""


class GuiaAuthority(Authority):
    pais = "PE"

    def __init__(self, http: httpx2.Client, sandbox_url: str) -> None:
        self._sandbox_url = sandbox_url
        # One client per endpoint set, so each company's token is cached and shared.
        self._sandbox = GreClient(http, GreEndpoints.single_host(sandbox_url))
        self._sunat = GreClient(http, GreEndpoints())

    def _client(self, empresa: EmpresaContext) -> GreClient:
        return self._sandbox if empresa.ambiente == "sandbox" else self._sunat

    @staticmethod
    def _credentials(empresa: EmpresaContext) -> GreCredentials | None:
        usuario, clave = empresa.usuario, empresa.clave
        client_id, secret = empresa.gre_client_id, empresa.gre_client_secret
        if empresa.ambiente in ("sandbox", "beta"):
            if not usuario:
                usuario, clave = "MODDATOS", "moddatos"
            if not client_id:
                client_id, secret = SANDBOX_CLIENT
        if not (usuario and clave and client_id and secret):
            return None
        return GreCredentials(empresa.identificacion, usuario, clave, client_id, secret)

    def document_title(self, tipo: str) -> str:
        return (
            "Guía de remisión remitente electrónica"
            if tipo == "09"
            else "Guía de remisión transportista electrónica"
        )

    def parse(self, payload: Any) -> Draft:
        guia = parse_guia(payload)
        return Draft(
            tipo=guia.tipo, serie=guia.serie, numero=guia.numero, content_hash=content_hash(guia), model=guia
        )

    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        guia: GuiaRemitenteIn | GuiaTransportistaIn = draft.model
        certificate = _certificate(empresa)
        signed = prepare_guia(
            guia,
            numero,
            Emisor(empresa.identificacion, empresa.razon_social),
            certificate,
            SunatSignatureProfile.named(empresa.firma_algoritmo),
        )
        return _prepared(
            signed,
            guia.tipo,
            guia.serie,
            numero,
            {"peso_bruto_total": f"{guia.peso_bruto_total}", "unidad_peso": guia.unidad_peso},
            guia.destinatario.tipo_documento,
            guia.destinatario.numero_documento,
            guia.destinatario.razon_social,
        )

    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        signed = self._sign(xml, empresa)
        name = signed.name
        draft = Draft(
            tipo=name.tipo, serie=name.serie, numero=name.numero, content_hash=signed.content_hash, model=None
        )
        return draft, _prepared(signed, name.tipo, name.serie, name.numero, {}, None, None, None)

    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        signed = self._sign(xml, empresa)
        return signed.xml, signed.hash

    def _sign(self, xml: bytes, empresa: EmpresaContext) -> SignedGuia:
        return sign_despatch_xml(
            xml,
            empresa.identificacion,
            _certificate(empresa),
            SunatSignatureProfile.named(empresa.firma_algoritmo),
        )

    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        credentials = self._credentials(empresa)
        if credentials is None:
            return _without_credentials()
        return submit_guia(self._client(empresa), credentials, doc)

    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        credentials = self._credentials(empresa)
        if credentials is None:
            return _without_credentials()
        return follow_guia(self._client(empresa), credentials, doc)


def _without_credentials() -> Outcome:
    return Outcome(
        Estado.FALLIDO,
        {
            "codigo": Code.EMPRESA_INVALIDA.value,
            "descripcion": "La empresa no tiene usuario SOL ni las credenciales de la API GRE "
            "(gre_client_id, gre_client_secret) para enviar guías",
            "observaciones": [],
        },
        detalle="sin credenciales GRE",
    )


def _certificate(empresa: EmpresaContext) -> Certificate:
    if empresa.certificate is None:
        raise ValidationFailed(Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado"))
    return empresa.certificate


def _prepared(
    signed: SignedGuia,
    tipo: str,
    serie: str,
    numero: int,
    totales: dict[str, str],
    cliente_tipo: str | None,
    cliente_numero: str | None,
    cliente_nombre: str | None,
) -> Prepared:
    return Prepared(
        id=signed.name.base,
        tipo=tipo,
        serie=serie,
        numero=numero,
        fecha_emision=signed.fecha_emision,
        moneda="PEN",
        total="0.00",
        totales=totales,
        cliente_tipo=cliente_tipo,
        cliente_numero=cliente_numero,
        cliente_nombre=cliente_nombre,
        xml_name=signed.name.xml,
        xml=signed.xml,
        hash=signed.hash,
        envio_name=signed.name.zip,
        envio=signed.zip,
        observaciones=[
            {"codigo": w.cod, "descripcion": w.mensaje, "campo": w.campo or ""} for w in signed.observaciones
        ],
    )
