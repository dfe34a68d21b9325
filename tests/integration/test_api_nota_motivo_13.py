"""Credit notes of motivo 13 against the factura they modify, through the API.

SUNAT checks three things against its registry (NotaCredito2_0 rows 18, 63, 64–65): the
factura was a credit sale (3260), the corrected pending amount does not exceed its total
(3320) and every cuota falls after its issue date (3321). The note alone does not carry
these facts; OpenPSE applies the rules when it issued the factura and leaves them to SUNAT
when it did not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpse.core.timeutil import now_lima
from tests_support import factura

HOY = now_lima().date()


def _dia(dias: int) -> str:
    return (HOY + dt.timedelta(days=dias)).isoformat()


def _credito(numero: int) -> dict[str, Any]:
    # 2 × 50.00 + IGV = 118.00, in two cuotas.
    return factura(
        numero=numero,
        forma_pago={
            "tipo": "Credito",
            "cuotas": [
                {"monto": "59.00", "fecha_pago": _dia(30)},
                {"monto": "59.00", "fecha_pago": _dia(60)},
            ],
        },
    )


def _nota(
    numero: int, afectado: int, cuotas: list[dict[str, str]], pendiente: str | None = None
) -> dict[str, Any]:
    forma: dict[str, Any] = {"tipo": "Credito", "cuotas": cuotas}
    if pendiente is not None:
        forma["monto_pendiente"] = pendiente
    return factura(
        tipo="07",
        numero=numero,
        documento_afectado={"tipo": "01", "serie": "F001", "numero": afectado},
        motivo={"codigo": "13", "descripcion": "Reprogramación de cuotas"},
        items=[{"descripcion": "Producto", "unidad": "NIU", "cantidad": "2"}],
        forma_pago=forma,
    )


def _codes(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["codError"], e.get("campo")) for e in response.json()["errors"]]


def test_motivo_13_against_a_cash_factura_is_refused_with_3260(post_document):
    assert post_document(factura(numero=1), espera=20).json()["estado"] == "aceptado"
    response = post_document(_nota(1, 1, [{"monto": "118.00", "fecha_pago": _dia(45)}]))
    assert _codes(response) == [("3260", "documento_afectado")]


def test_motivo_13_against_a_credit_factura_checks_amount_and_dates(post_document):
    assert post_document(_credito(2), espera=20).json()["estado"] == "aceptado"
    mas = post_document(_nota(2, 2, [{"monto": "118.01", "fecha_pago": _dia(45)}]))
    assert _codes(mas) == [("3320", "forma_pago.monto_pendiente")]
    mismo_dia = post_document(
        _nota(3, 2, [{"monto": "50.00", "fecha_pago": _dia(0)}, {"monto": "68.00", "fecha_pago": _dia(90)}])
    )
    assert _codes(mismo_dia) == [("3321", "forma_pago.cuotas[0].fecha_pago")]
    # The same corrections within the factura's limits are accepted.
    bien = post_document(
        _nota(4, 2, [{"monto": "50.00", "fecha_pago": _dia(1)}, {"monto": "68.00", "fecha_pago": _dia(90)}]),
        espera=20,
    )
    assert bien.status_code in (200, 201), bien.text
    assert bien.json()["estado"] == "aceptado", bien.text


def test_motivo_13_against_a_factura_issued_elsewhere_is_left_to_sunat(post_document):
    """F001-77 was never issued through OpenPSE: nothing to compare with, no error of ours."""
    response = post_document(_nota(5, 77, [{"monto": "5000.00", "fecha_pago": _dia(1)}]), espera=20)
    assert response.status_code in (200, 201), response.text
    assert response.json()["estado"] == "aceptado", response.text


def test_3320_is_not_applied_for_an_ose():
    """The workbook exempts OSEs from 3320 ("Validación no aplica para OSE"); 3260 and 3321
    still apply."""
    from decimal import Decimal

    from openpse.authorities.sunat import rules
    from openpse.authorities.sunat.models import ComprobanteIn
    from openpse.core.errors import IssueCollector

    nota = ComprobanteIn.model_validate(_nota(9, 2, [{"monto": "500.00", "fecha_pago": _dia(0)}]))
    original = rules.FacturaOriginal(HOY, "PEN", Decimal("118.00"), "Credito")
    for ose, esperados in ((False, ["3320", "3321"]), (True, ["3321"])):
        issues = IssueCollector()
        rules.check_motivo_13_original(nota, original, ose, issues)
        assert [issue.cod for issue in issues.issues] == esperados
