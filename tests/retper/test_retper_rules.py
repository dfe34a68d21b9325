"""OpenPSE's own checks of retención and percepción requests that need no emulator to judge."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from lxml import etree
from retper_support import NS, documento, hoy, movimiento, percepcion, retencion

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.retper import RetPerAuthority
from openpse.core.errors import ValidationFailed


def _refused(
    retper: RetPerAuthority, emp: EmpresaContext, payload: dict[str, Any]
) -> list[tuple[str, str | None]]:
    with pytest.raises(ValidationFailed) as refused:
        retper.prepare(retper.parse(payload), 1, emp, hoy())
    return [(issue.cod, issue.campo) for issue in refused.value.issues]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            retencion(documentos=[documento([movimiento("100.00", factor="3.7")], total="100.00")]),
            ("PSE-0002", "documentos[0].pagos[0].tipo_cambio"),
            id="pen-con-tipo-de-cambio",
        ),
        pytest.param(
            retencion(documentos=[documento([movimiento("59.00")], tipo="07", total="59.00")]),
            ("PSE-0002", "documentos[0].pagos"),
            id="nota-de-credito-con-pagos",
        ),
        pytest.param(
            retencion(documentos=[documento([])]),
            ("2737", "documentos[0].pagos"),
            id="factura-sin-pagos",
        ),
        pytest.param(
            percepcion(documentos=[documento([], tipo="03", serie="B001", clave="cobros")]),
            ("2702", "documentos[0].cobros"),
            id="boleta-sin-cobros",
        ),
        pytest.param(
            retencion(
                documentos=[documento([movimiento("10.00", factor="3.7")], moneda="ABC", total="10.00")]
            ),
            ("2718", "documentos[0].moneda"),
            id="moneda-fuera-del-catalogo-02",
        ),
        pytest.param(
            retencion(
                documentos=[documento([movimiento("10.00", factor="0.9")], moneda="TRY", total="10.00")]
            ),
            ("0306", "documentos[0].moneda"),
            id="moneda-que-el-esquema-ubl-2-0-no-conoce",
        ),
        pytest.param(
            retencion(
                documentos=[documento([movimiento("10.00", factor="3.7123456")], moneda="USD", total="10.00")]
            ),
            ("2716", "documentos[0].pagos[0].tipo_cambio.factor"),
            id="tipo-de-cambio-con-siete-decimales",
        ),
        pytest.param(
            retencion(documentos=[documento([movimiento("10.001")], total="10.00")]),
            ("2736", "documentos[0].pagos[0].importe"),
            id="pago-con-tres-decimales",
        ),
        pytest.param(
            retencion(proveedor={"numero_documento": "2010007097", "razon_social": "X"}),
            ("2724", "proveedor.numero_documento"),
            id="ruc-de-diez-digitos",
        ),
        pytest.param(
            retencion(proveedor={"numero_documento": "20100070970", "razon_social": "LINEA\nPARTIDA"}),
            ("2133", "proveedor.razon_social"),
            id="razon-social-en-dos-lineas",
        ),
        pytest.param(
            percepcion(cliente={"tipo_documento": "1", "numero_documento": "4602-7897", "razon_social": "X"}),
            ("2680", "cliente.numero_documento"),
            id="documento-del-cliente-con-guion",
        ),
        pytest.param(
            percepcion(cliente={"tipo_documento": "9", "numero_documento": "46027897", "razon_social": "X"}),
            ("2511", "cliente.tipo_documento"),
            id="tipo-de-documento-fuera-del-catalogo-06",
        ),
        pytest.param(
            percepcion(totales={"cobrado": "1300.00"}),
            ("2668", "totales.cobrado"),
            id="total-cobrado-declarado-que-no-suma",
        ),
        pytest.param(
            retencion(documentos=[documento([movimiento("10.00")], tipo="12", serie="TK 01", total="10.00")]),
            ("2694", "documentos[0].serie"),
            id="ticket-con-espacio",
        ),
    ],
)
def test_request_is_refused_with_sunat_code(
    retper: RetPerAuthority, emp: EmpresaContext, payload: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert _refused(retper, emp, payload)[0] == expected


def test_every_problem_is_listed_not_only_the_first(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    payload = retencion(
        serie="X001",
        regimen="09",
        documentos=[documento([movimiento("1.00")], tipo="03"), documento([movimiento("1.00")], serie="F0")],
    )
    assert _refused(retper, emp, payload) == [
        ("1001", "serie"),
        ("2618", "regimen"),
        ("2692", "documentos[0].tipo"),
        ("2694", "documentos[1].serie"),
    ]


def test_the_shape_of_the_request_is_checked_first(retper: RetPerAuthority) -> None:
    with pytest.raises(ValidationFailed) as refused:
        retper.parse(retencion(documentos=[], descuento="1.00"))
    assert sorted(issue.campo or "" for issue in refused.value.issues) == ["descuento", "documentos"]
    assert {issue.cod for issue in refused.value.issues} == {"PSE-0002"}


def test_declared_totals_within_one_sol_are_accepted_and_ours_are_written(
    retper: RetPerAuthority, emp: EmpresaContext
) -> None:
    prepared = retper.prepare(
        retper.parse(retencion(totales={"retenido": "36.00", "pagado": "1144.00"})), 1, emp, hoy()
    )
    assert prepared.totales == {"retenido": "35.40", "pagado": "1144.60"}


def test_the_customer_may_carry_the_2026_identity_types(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    # H (Carné Permiso Temporal de Permanencia) is in the 2026 catálogo 06.
    payload = percepcion(
        cliente={"tipo_documento": "H", "numero_documento": "001234567", "razon_social": "X"}
    )
    prepared = retper.prepare(retper.parse(payload), 1, emp, hoy())
    receiver = etree.fromstring(prepared.xml).find("cac:ReceiverParty/cac:PartyIdentification/cbc:ID", NS)
    assert receiver is not None
    assert (receiver.get("schemeID"), receiver.text) == ("H", "001234567")


def test_the_issuer_as_registered_is_checked_too(retper: RetPerAuthority, emp: EmpresaContext) -> None:
    broken = dataclasses.replace(emp, razon_social="EMPRESA\nDEMO")
    assert _refused(retper, broken, retencion())[0] == ("1038", "empresa.razon_social")
    observed = dataclasses.replace(emp, nombre_comercial="DEMO\tSAC")
    prepared = retper.prepare(retper.parse(retencion()), 1, observed, hoy())
    assert [o["codigo"] for o in prepared.observaciones] == ["2901"]


def test_payments_are_numbered_and_exchange_dates_default_to_the_payment(
    retper: RetPerAuthority, emp: EmpresaContext
) -> None:
    first = hoy().replace(day=1)
    payload = retencion(
        documentos=[
            documento(
                [
                    movimiento("100.00", fecha=first, factor="3.70"),
                    movimiento("100.00", numero=7, factor="3.71", fecha_cambio=first - dt.timedelta(days=1)),
                ],
                moneda="USD",
                total="200.00",
                fecha=first,
            )
        ]
    )
    root = etree.fromstring(retper.prepare(retper.parse(payload), 1, emp, hoy()).xml)
    references = root.findall("sac:SUNATRetentionDocumentReference", NS)
    assert [r.findtext("cac:Payment/cbc:ID", namespaces=NS) for r in references] == ["1", "7"]
    dates = [
        r.findtext("sac:SUNATRetentionInformation/cac:ExchangeRate/cbc:Date", namespaces=NS)
        for r in references
    ]
    assert dates == [first.isoformat(), (first - dt.timedelta(days=1)).isoformat()]
    rates = [
        r.findtext("sac:SUNATRetentionInformation/cac:ExchangeRate/cbc:CalculationRate", namespaces=NS)
        for r in references
    ]
    assert rates == ["3.700000", "3.710000"]
