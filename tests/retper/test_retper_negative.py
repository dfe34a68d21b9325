"""Comprobantes SUNAT rejects: the code of OpenPSE's rules, and the emulator's for the same row.

Each case is a request that breaks one row of Retenciones1_0 or Percepciones1_0. OpenPSE
must refuse it before building, with SUNAT's code first in its answer; and the same
document, written by the builder without the client's rules and sent to the emulated
"otros CPE" billService over HTTP, must get the same code from the emulator, whose
checks are written independently. Cases where the client cannot write the defect (it
computes the amounts itself) tamper the computed amounts instead, and compare with the
client's check of the totals an ERP declares.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from retper_support import (
    BETA,
    RUC,
    build_unchecked,
    computed,
    documento,
    hoy,
    movimiento,
    percepcion,
    register_factura,
    replace_first,
    retencion,
    send,
)

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.retper import RetPerAuthority
from openpse.authorities.sunat.retper.amounts import Calculo
from openpse.core.errors import ValidationFailed
from openpse.signing.certificates import Certificate


@dataclasses.dataclass(frozen=True)
class Negative:
    payload: Callable[[], dict[str, Any]]
    code: str
    campo: str | None = None
    tasa: Decimal | None = None
    """Rate to write when the régimen has none in the catalogue."""
    tamper: Callable[[Calculo], Calculo] | None = None
    """For the emulator: the computed amounts changed the way a faulty ERP would."""
    emulator_payload: Callable[[], dict[str, Any]] | None = None
    """For the emulator, when the client's request carries the defect elsewhere (declared totals)."""


def _previous_month() -> dt.date:
    return hoy().replace(day=1) - dt.timedelta(days=1)


CASES = {
    "retencion-proveedor-es-el-emisor": Negative(
        lambda: retencion(proveedor={"numero_documento": RUC, "razon_social": "YO MISMO"}),
        "2620",
        "proveedor.numero_documento",
    ),
    "retencion-proveedor-ruc-inexistente": Negative(
        lambda: retencion(proveedor={"numero_documento": "20123456789", "razon_social": "NADIE"}),
        "2621",
        "proveedor.numero_documento",
    ),
    "retencion-proveedor-sin-ruc": Negative(
        lambda: retencion(
            proveedor={"tipo_documento": "1", "numero_documento": "20100070970", "razon_social": "X"}
        ),
        "2511",
        "proveedor.tipo_documento",
    ),
    "retencion-domicilio-del-proveedor-fuera-del-peru": Negative(
        lambda: retencion(
            proveedor={
                "numero_documento": "20100070970",
                "razon_social": "PROVEEDOR",
                "direccion": {"direccion": "AV. PROVIDENCIA 1", "pais": "CL"},
            }
        ),
        "2548",
        "proveedor.direccion.pais",
    ),
    "retencion-regimen-fuera-del-catalogo-23": Negative(
        lambda: retencion(regimen="03"), "2618", "regimen", tasa=Decimal(3)
    ),
    "retencion-tasa-distinta-a-la-del-regimen": Negative(lambda: retencion(tasa="6"), "2619", "tasa"),
    "retencion-6-por-ciento-sobre-documento-de-2026": Negative(
        lambda: retencion(regimen="02"), "2985", "documentos[0].fecha_emision"
    ),
    "retencion-pagos-de-dos-periodos": Negative(
        lambda: retencion(
            documentos=[
                documento([movimiento("1180.00")], numero=1),
                documento(
                    [movimiento("590.00", fecha=_previous_month())],
                    numero=2,
                    total="590.00",
                    fecha=_previous_month(),
                ),
            ]
        ),
        "2661",
        "documentos[1].pagos[0].fecha",
    ),
    "retencion-pago-anterior-a-la-emision-del-documento": Negative(
        lambda: retencion(
            documentos=[documento([movimiento("1180.00", fecha=hoy() - dt.timedelta(days=1))], fecha=hoy())]
        ),
        "2625",
        "documentos[0].pagos[0].fecha",
    ),
    "retencion-numero-de-pago-repetido": Negative(
        lambda: retencion(
            documentos=[
                documento([movimiento("500.00", numero=1), movimiento("680.00", numero=1)], total="1180.00")
            ]
        ),
        "2626",
        "documentos[0].pagos[1].numero",
    ),
    "retencion-usd-sin-tipo-de-cambio": Negative(
        lambda: retencion(documentos=[documento([movimiento("100.00")], moneda="USD", total="100.00")]),
        "2719",
        "documentos[0].pagos[0].tipo_cambio",
    ),
    "retencion-serie-del-documento-relacionado-invalida": Negative(
        lambda: retencion(documentos=[documento([movimiento("1180.00")], serie="X001")]),
        "2694",
        "documentos[0].serie",
    ),
    "retencion-sobre-boleta": Negative(
        lambda: retencion(documentos=[documento([movimiento("1180.00")], tipo="03", serie="B001")]),
        "2692",
        "documentos[0].tipo",
    ),
    "retencion-importe-total-cero": Negative(
        lambda: retencion(documentos=[documento([movimiento("10.00")], total="0")]),
        "2696",
        "documentos[0].importe_total",
    ),
    "retencion-pago-que-no-retiene-nada": Negative(
        lambda: retencion(
            documentos=[documento([movimiento("1180.00"), movimiento("0.10")], total="1180.10")]
        ),
        "2740",
        "documentos[0].pagos[1].importe",
    ),
    "retencion-redondeo-mayor-a-un-sol": Negative(lambda: retencion(redondeo="1.50"), "3303", "redondeo"),
    "retencion-fuera-de-plazo": Negative(
        lambda: retencion(
            fecha_emision=(hoy() - dt.timedelta(days=5)).isoformat(),
            documentos=[
                documento(
                    [movimiento("1180.00", fecha=hoy() - dt.timedelta(days=5))],
                    fecha=hoy() - dt.timedelta(days=5),
                )
            ],
        ),
        "2600",
        "fecha_emision",
    ),
    "retencion-serie-de-factura": Negative(lambda: retencion(serie="F001"), "1001", "serie"),
    "retencion-total-retenido-que-no-suma": Negative(
        lambda: retencion(totales={"retenido": "40.00"}),
        "2628",
        "totales.retenido",
        tamper=lambda calculo: dataclasses.replace(calculo, total=Decimal("40.00")),
        emulator_payload=lambda: retencion(),
    ),
    "retencion-total-pagado-que-no-suma": Negative(
        lambda: retencion(totales={"pagado": "1180.00"}),
        "2629",
        "totales.pagado",
        tamper=lambda calculo: dataclasses.replace(calculo, total_neto=Decimal("1180.00")),
        emulator_payload=lambda: retencion(),
    ),
    "percepcion-cliente-es-el-emisor": Negative(
        lambda: percepcion(cliente={"tipo_documento": "6", "numero_documento": RUC, "razon_social": "YO"}),
        "2604",
        "cliente.numero_documento",
    ),
    "percepcion-cliente-ruc-inexistente": Negative(
        lambda: percepcion(
            cliente={"tipo_documento": "6", "numero_documento": "20123456789", "razon_social": "NADIE"}
        ),
        "2605",
        "cliente.numero_documento",
    ),
    "percepcion-regimen-fuera-del-catalogo-22": Negative(
        lambda: percepcion(regimen="04"), "2602", "regimen", tasa=Decimal(2)
    ),
    "percepcion-tasa-distinta-a-la-del-regimen": Negative(
        lambda: percepcion(regimen="02", tasa="2"), "2603", "tasa"
    ),
    "percepcion-excepcional-con-dos-documentos": Negative(
        lambda: percepcion(
            excepcional=True,
            documentos=[
                documento([movimiento("100.00")], numero=1, total="100.00", clave="cobros"),
                documento([movimiento("100.00")], numero=2, total="100.00", clave="cobros"),
            ],
        ),
        "3323",
        "documentos",
    ),
    "percepcion-excepcional-sobre-boleta": Negative(
        lambda: percepcion(excepcional=True), "3324", "documentos[0].tipo"
    ),
    "percepcion-cobros-de-dos-periodos": Negative(
        lambda: percepcion(
            documentos=[
                documento([movimiento("100.00")], tipo="03", serie="B001", total="100.00", clave="cobros"),
                documento(
                    [movimiento("100.00", fecha=_previous_month())],
                    tipo="03",
                    serie="B001",
                    numero=2,
                    total="100.00",
                    fecha=_previous_month(),
                    clave="cobros",
                ),
            ]
        ),
        "2659",
        "documentos[1].cobros[0].fecha",
    ),
    "percepcion-total-percibido-que-no-suma": Negative(
        lambda: percepcion(totales={"percibido": "30.00"}),
        "2667",
        "totales.percibido",
        tamper=lambda calculo: dataclasses.replace(calculo, total=Decimal("30.00")),
        emulator_payload=lambda: percepcion(),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_client_and_emulator_answer_the_same_code(
    case: Negative,
    retper: RetPerAuthority,
    emp: EmpresaContext,
    http: httpx2.Client,
    sandbox_url: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        retper.prepare(retper.parse(case.payload()), 1, emp, hoy())
    first = refused.value.issues[0]
    assert (first.cod, first.campo) == (case.code, case.campo), refused.value.issues

    payload = (case.emulator_payload or case.payload)()
    calculo = case.tamper(computed(payload)) if case.tamper is not None else None
    zip_name, zip_bytes = build_unchecked(payload, emp, tasa=case.tasa, calculo=calculo)
    answer = send(http, sandbox_url + BETA, zip_name, zip_bytes)
    assert answer.code == case.code, answer.message


def test_a_tampered_retention_amount_is_2623(
    emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    # 1180.00 × 3 % is 35.40; the sheet allows ±1 (row 46), 37.00 is beyond it.
    payload = retencion()
    calculo = replace_first(computed(payload), importe=Decimal("37.00"), neto=Decimal("1143.00"))
    calculo = dataclasses.replace(calculo, total=Decimal("37.00"), total_neto=Decimal("1143.00"))
    answer = send(http, sandbox_url + BETA, *build_unchecked(payload, emp, calculo=calculo))
    assert answer.code == "2623", answer.message


def test_a_retention_amount_within_one_sol_is_accepted(
    emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    payload = retencion()
    calculo = replace_first(computed(payload), importe=Decimal("36.00"), neto=Decimal("1144.00"))
    calculo = dataclasses.replace(calculo, total=Decimal("36.00"), total_neto=Decimal("1144.00"))
    answer = send(http, sandbox_url + BETA, *build_unchecked(payload, emp, calculo=calculo))
    assert answer.code == "0", answer.message


def test_a_tampered_perceived_net_amount_is_2608(
    emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    payload = percepcion()
    calculo = replace_first(computed(payload), neto=Decimal("1180.00"))
    calculo = dataclasses.replace(calculo, total_neto=Decimal("1180.00"))
    answer = send(http, sandbox_url + BETA, *build_unchecked(payload, emp, calculo=calculo))
    assert answer.code == "2608", answer.message


def test_a_perception_on_a_factura_sunat_does_not_hold_is_2609(
    emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    payload = percepcion(
        documentos=[documento([movimiento("1180.00")], serie="F001", numero=77, clave="cobros")]
    )
    answer = send(http, sandbox_url + BETA, *build_unchecked(payload, emp))
    assert answer.code == "2609", answer.message


def test_a_perception_with_another_issue_date_than_sunat_holds_is_2610(
    emp: EmpresaContext, test_certificate: Certificate, http: httpx2.Client, sandbox_url: str
) -> None:
    register_factura(http, sandbox_url, test_certificate, "F001", 5, fecha=hoy() - dt.timedelta(days=1))
    payload = percepcion(
        documentos=[documento([movimiento("1180.00")], serie="F001", numero=5, fecha=hoy(), clave="cobros")]
    )
    answer = send(http, sandbox_url + BETA, *build_unchecked(payload, emp))
    assert answer.code == "2610", answer.message


def test_a_physical_series_is_not_issued_by_openpse_and_unauthorised_at_sunat(
    retper: RetPerAuthority, emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        retper.prepare(retper.parse(retencion(serie="0001")), 1, emp, hoy())
    assert refused.value.issues[0].cod == "PSE-0020"
    answer = send(http, sandbox_url + BETA, *build_unchecked(retencion(serie="0001"), emp))
    assert answer.code == "3207", answer.message


def test_an_observation_of_both_sides_does_not_stop_the_document(
    retper: RetPerAuthority, emp: EmpresaContext, http: httpx2.Client, sandbox_url: str
) -> None:
    payload = retencion(
        proveedor={
            "numero_documento": "20100070970",
            "razon_social": "PROVEEDOR",
            "direccion": {"ubigeo": "1501", "direccion": "JR. " + "LARGO " * 20},
        }
    )
    prepared = retper.prepare(retper.parse(payload), 1, emp, hoy())
    assert [(o["codigo"], o["campo"]) for o in prepared.observaciones] == [
        ("2917", "proveedor.direccion.ubigeo"),
        ("2918", "proveedor.direccion.direccion"),
    ]
    answer = send(http, sandbox_url + BETA, prepared.envio_name, prepared.envio)
    assert answer.code == "0"
    assert answer.cdr is not None
    assert [o.codigo for o in answer.cdr.observaciones] == ["2917", "2918"]
