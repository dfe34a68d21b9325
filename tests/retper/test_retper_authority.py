"""RetPerAuthority and SunatRouter as the core drives them: submit, reconcile, client XML, dispatch."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from lxml import etree
from retper_support import (
    BETA,
    RUC,
    build_unchecked,
    hoy,
    percepcion,
    retencion,
    send,
    verify_signature,
    xsd_errors,
)

from openpse.authorities.base import EmpresaContext, Prepared, Submission, VoidTarget
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.retper import (
    PercepcionIn,
    RetencionIn,
    RetPerAuthority,
    SunatRouter,
    endpoints,
    ubl,
)
from openpse.authorities.sunat.retper.amounts import calcular
from openpse.authorities.sunat.retper.authority import check_and_compute, emisor_de, parte_de, relacionados
from openpse.authorities.sunat.retper.kinds import PERCEPCION, RETENCION
from openpse.core.errors import IssueCollector, ValidationFailed
from openpse.documents.states import Estado
from openpse.signing.certificates import Certificate


def _submission(prepared: Prepared, intentos: int = 1) -> Submission:
    return Submission(
        id=prepared.id,
        tipo=prepared.tipo,
        serie=prepared.serie,
        numero=prepared.numero,
        hash=prepared.hash,
        envio_name=prepared.envio_name,
        envio=prepared.envio,
        intentos=intentos,
    )


def _prepare(
    retper: RetPerAuthority, emp: EmpresaContext, payload: dict[str, Any], numero: int = 1
) -> Prepared:
    return retper.prepare(retper.parse(payload), numero, emp, hoy())


def test_submit_is_accepted_with_the_cdr(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    prepared = _prepare(retper, emp, retencion())
    outcome = retper.submit(_submission(prepared), emp)
    assert outcome.estado is Estado.ACEPTADO
    assert outcome.respuesta == {
        "codigo": "0",
        "descripcion": "El Comprobante numero R001-1 ha sido aceptado",
        "observaciones": [],
    }
    assert outcome.cdr is not None
    assert outcome.cdr_zip is not None


def test_observations_make_the_document_observado(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    payload = percepcion(
        cliente={
            "tipo_documento": "6",
            "numero_documento": "20603343710",
            "razon_social": "CLIENTE",
            "direccion": {"ubigeo": "15"},
        }
    )
    outcome = retper.submit(_submission(_prepare(retper, emp, payload)), emp)
    assert outcome.estado is Estado.OBSERVADO
    assert outcome.respuesta is not None
    assert [o["codigo"] for o in outcome.respuesta["observaciones"]] == ["2917"]


def test_a_lost_answer_is_reconciled_by_sending_the_same_bytes(
    retper: RetPerAuthority, emp: EmpresaContext
) -> None:
    prepared = _prepare(retper, emp, retencion())
    assert retper.submit(_submission(prepared), emp).estado is Estado.ACEPTADO
    # The answer was lost: the same bytes again are 1033, SUNAT holds the document.
    outcome = retper.reconcile(_submission(prepared), emp)
    assert outcome.estado is Estado.ACEPTADO
    assert outcome.respuesta is not None
    assert "1033" in outcome.respuesta["descripcion"]


def test_a_never_sent_document_is_processed_by_reconcile(
    retper: RetPerAuthority, emp: EmpresaContext
) -> None:
    prepared = _prepare(retper, emp, percepcion())
    outcome = retper.reconcile(_submission(prepared), emp)
    assert outcome.estado is Estado.ACEPTADO
    assert outcome.cdr is not None


def test_a_number_another_document_holds_is_rejected_on_first_send(
    retper: RetPerAuthority, emp: EmpresaContext
) -> None:
    assert retper.submit(_submission(_prepare(retper, emp, retencion())), emp).estado is Estado.ACEPTADO
    other = _prepare(retper, emp, retencion(observaciones="otro documento"))
    outcome = retper.submit(_submission(other, intentos=1), emp)
    assert outcome.estado is Estado.RECHAZADO
    assert outcome.respuesta is not None
    assert outcome.respuesta["codigo"] == "1033"
    # A later attempt of the same document may have reached SUNAT before: taken as accepted.
    assert retper.submit(_submission(other, intentos=2), emp).estado is Estado.ACEPTADO


def test_a_rejection_cdr_is_rechazado_with_sunat_code(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    # A 6 % retention on a document of 2026, written without the client's rules (2985).
    zip_name, zip_bytes = build_unchecked(retencion(regimen="02"), emp)
    prepared = dataclasses.replace(_prepare(retper, emp, retencion()), envio_name=zip_name, envio=zip_bytes)
    outcome = retper.submit(_submission(prepared), emp)
    assert outcome.estado is Estado.RECHAZADO
    assert outcome.respuesta is not None
    assert outcome.respuesta["codigo"] == "2985"
    assert outcome.cdr is not None


def test_no_answer_is_desconocido(http: httpx2.Client, emp: EmpresaContext) -> None:
    authority = RetPerAuthority(http, "http://127.0.0.1:9")
    prepared = _prepare(authority, emp, retencion())
    assert authority.submit(_submission(prepared), emp).estado is Estado.DESCONOCIDO


def test_the_company_endpoints(emp: EmpresaContext) -> None:
    assert endpoints.bill_url(emp, "http://sandbox") == "http://sandbox" + BETA
    beta = dataclasses.replace(emp, ambiente="beta")
    assert (
        endpoints.bill_url(beta, "")
        == "https://e-beta.sunat.gob.pe/ol-ti-itemision-otroscpe-gem-beta/billService"
    )
    production = dataclasses.replace(emp, ambiente="produccion")
    assert (
        endpoints.bill_url(production, "")
        == "https://e-factura.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService"
    )


def test_a_document_without_certificate_is_refused(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _prepare(retper, dataclasses.replace(emp, certificate=None), retencion())
    assert refused.value.issues[0].cod == "PSE-0022"


def test_a_client_built_retention_is_signed_and_accepted(
    retper: RetPerAuthority,
    emp: EmpresaContext,
    test_certificate: Certificate,
    http: httpx2.Client,
    sandbox_url: str,
) -> None:
    model = RetencionIn.model_validate(retencion())
    issues = IssueCollector()
    calculo = check_and_compute(model, emp, hoy(), hoy(), issues)
    document = ubl.Comprobante(
        kind=RETENCION,
        serie="R001",
        numero=7,
        fecha_emision=hoy(),
        hora_emision=dt.time(8, 30),
        emisor=emisor_de(emp),
        receptor=parte_de(model.proveedor),
        regimen="01",
        tasa=Decimal(3),
        calculo=calculo,
    )
    canonical = ubl.build(document)
    unsigned = (canonical.before + canonical.after).encode()

    draft, prepared = retper.prepare_xml(unsigned, emp)

    assert (draft.tipo, draft.serie, draft.numero) == ("20", "R001", 7)
    assert prepared.id == f"{RUC}-20-R001-7"
    assert prepared.totales == {"retenido": "35.40", "pagado": "1144.60"}
    assert prepared.cliente_numero == model.proveedor.numero_documento
    assert xsd_errors(prepared.xml, "20") == []
    verify_signature(prepared.xml, test_certificate)
    signed, digest = retper.sign_xml(unsigned, emp)
    assert etree.fromstring(signed).findtext(".//{*}DigestValue") == digest
    assert send(http, sandbox_url + BETA, prepared.envio_name, prepared.envio).code == "0"


def test_a_client_xml_of_another_company_is_1034(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    other = dataclasses.replace(emp, identificacion="20100070970")
    model = PercepcionIn.model_validate(percepcion())
    calculo = calcular(relacionados(model), Decimal(2), True, PERCEPCION.fuera_de_totales)
    document = ubl.Comprobante(
        kind=PERCEPCION,
        serie="P001",
        numero=1,
        fecha_emision=hoy(),
        hora_emision=dt.time(8, 30),
        emisor=emisor_de(other),
        receptor=parte_de(model.cliente),
        regimen="01",
        tasa=Decimal(2),
        calculo=calculo,
    )
    canonical = ubl.build(document)
    with pytest.raises(ValidationFailed) as refused:
        retper.prepare_xml((canonical.before + canonical.after).encode(), emp)
    assert refused.value.issues[0].cod == "1034"


def test_the_router_sends_each_tipo_to_its_authority(
    http: httpx2.Client, sandbox_url: str, emp: EmpresaContext
) -> None:
    retper = RetPerAuthority(http, sandbox_url)
    comprobantes = SunatAuthority(http, sandbox_url)
    router = SunatRouter(comprobantes, retper)

    assert isinstance(router.parse(retencion()).model, RetencionIn)
    assert isinstance(router.parse(percepcion()).model, PercepcionIn)
    factura = {
        "tipo": "01",
        "serie": "F001",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "CLIENTE S.A.C.",
        },
        "items": [{"descripcion": "Producto", "cantidad": "1", "valor_unitario": "100.00"}],
    }
    assert router.parse(factura).model.__class__.__name__ == "ComprobanteIn"

    draft = router.parse(percepcion())
    prepared = router.prepare(draft, 1, emp, hoy())
    assert prepared.id == f"{RUC}-40-P001-1"
    assert router.submit(_submission(prepared), emp).estado is Estado.ACEPTADO
    assert router.reconcile(_submission(prepared), emp).estado is Estado.ACEPTADO


def test_the_router_leaves_annulments_of_retentions_to_the_retention_authority(
    http: httpx2.Client, sandbox_url: str
) -> None:
    router = SunatRouter(SunatAuthority(http, sandbox_url), RetPerAuthority(http, sandbox_url))
    target = VoidTarget(
        id=f"{RUC}-20-R001-1",
        tipo="20",
        serie="R001",
        numero=1,
        fecha_emision=hoy(),
        moneda="PEN",
        totales={"retenido": "35.40", "pagado": "1144.60"},
        cliente_tipo="6",
        cliente_numero="20100070970",
    )
    # The Resumen de reversiones (RR) is not built yet: refused, never sent as an RA.
    with pytest.raises(ValidationFailed) as refused:
        router.void_kind(target, hoy())
    assert refused.value.issues[0].campo == "tipo"
