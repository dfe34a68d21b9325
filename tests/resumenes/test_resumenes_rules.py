"""SUNAT's rows for RC, RA and RR: OpenPSE's rules answer SUNAT's code, and where the SUNAT
sandbox checks the same row it answers the same code over HTTP.

Each case is a document that breaks one row. The rules run against a fake register
(the caller's database); for the cases the sandbox also checks, the sandbox is first
brought to the same state (boletas informed, facturas issued, annulled or rejected),
the rules then run against a register read back from the sandbox, and the summary is
sent: SUNAT's answer (statusCode 99 and a CDR with the code, or an observation note)
must name the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from resumenes_support import (
    EMISOR,
    FakeRegistro,
    SandboxSunat,
    baja,
    boleta,
    hoy,
    resumen,
    reversiones,
)

from openpse.authorities.sunat import codes
from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.soap import SoapFault
from openpse.core.errors import IssueCollector, ValidationFailed

TODAY = hoy()
AYER = TODAY - dt.timedelta(days=1)
MANANA = TODAY + dt.timedelta(days=1)
HACE_8 = TODAY - dt.timedelta(days=8)
HACE_10 = TODAY - dt.timedelta(days=10)
B001_1 = ("03", "B001", 1)
F001_1 = ("01", "F001", 1)


def _vivo(fecha: dt.date = TODAY) -> r.Registrado:
    return r.Registrado("aceptado", fecha)


@dataclass(frozen=True)
class Case:
    documento: Callable[[], r.Resumen]
    code: str
    registro: dict[tuple[str, str, int], r.Registrado] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    """Other ERROR codes the rules report besides the first (SUNAT stops at the first)."""
    observation: bool = False
    setup: Callable[[SandboxSunat], object] | None = None
    """Brings the sandbox to the state of ``registro``; None when the sandbox skips the row."""
    sandbox: bool = False
    ose: bool = False


def _informar(*numeros: int, fecha: dt.date = TODAY) -> Callable[[SandboxSunat], object]:
    def setup(sunat: SandboxSunat) -> object:
        return sunat.accept(resumen(*(boleta(n) for n in numeros), fecha_emision=fecha))

    return setup


def _informar_y_anular(sunat: SandboxSunat) -> None:
    sunat.accept(resumen(boleta(1)))
    sunat.accept(resumen(boleta(1, condicion="3"), correlativo=2))


def _emitir(
    numero: int = 1, fecha: dt.date = TODAY, tamper: bool = False
) -> Callable[[SandboxSunat], object]:
    def setup(sunat: SandboxSunat) -> object:
        return sunat.issue("01", "F001", numero, fecha, tamper=tamper)

    return setup


def _emitir_y_anular(sunat: SandboxSunat) -> None:
    sunat.issue("01", "F001", 1, TODAY)
    sunat.accept(baja())


def _nota(numero: int = 1, **kwargs: Any) -> r.LineaResumen:
    return boleta(numero, "11.80", tipo="07", serie="BC01", **kwargs)


CASES: dict[str, Case] = {
    # Resumen diario ----------------------------------------------------------------------
    "rc-2663-anula-lo-no-informado": Case(lambda: resumen(boleta(7, condicion="3")), "2663", sandbox=True),
    "rc-2282-ya-informada": Case(
        lambda: resumen(boleta(1), correlativo=2), "2282", {B001_1: _vivo()}, setup=_informar(1), sandbox=True
    ),
    "rc-2987-informa-una-anulada": Case(
        lambda: resumen(boleta(1), correlativo=3),
        "2987",
        {B001_1: r.Registrado("anulado", TODAY)},
        setup=_informar_y_anular,
        sandbox=True,
    ),
    "rc-2957-anula-fuera-de-plazo": Case(
        lambda: resumen(boleta(1, condicion="3"), fecha_emision=HACE_10, correlativo=2),
        "2957",
        {B001_1: _vivo(HACE_10)},
        setup=_informar(1, fecha=HACE_10),
        sandbox=True,
    ),
    "rc-3094-repetida": Case(lambda: resumen(boleta(1), boleta(1)), "3094", sandbox=True),
    "rc-3095-adiciona-y-modifica": Case(
        lambda: resumen(boleta(1), boleta(1, condicion="2")), "3095", also=("2663",), sandbox=True
    ),
    "rc-3096-modifica-y-anula": Case(
        lambda: resumen(boleta(1, condicion="2"), boleta(1, condicion="3"), correlativo=2),
        "3096",
        {B001_1: _vivo()},
        setup=_informar(1),
        sandbox=True,
    ),
    "rc-2513-serie-de-factura": Case(lambda: resumen(boleta(1, serie="F001")), "2513", sandbox=True),
    "rc-2513-numero-cero": Case(lambda: resumen(boleta(0)), "2513", sandbox=True),
    "rc-2241-tipo-factura": Case(lambda: resumen(boleta(1, tipo="01")), "2241", sandbox=True),
    "rc-2896-condicion-fuera-del-catalogo": Case(
        lambda: resumen(boleta(1, condicion="7")), "2896", sandbox=True
    ),
    "rc-2251-total-negativo": Case(lambda: resumen(boleta(1, "-5.00", gravado="0.00")), "2251", sandbox=True),
    "rc-2236-generado-manana": Case(lambda: resumen(fecha_generacion=MANANA), "2236", sandbox=True),
    "rc-2671-documentos-posteriores": Case(
        lambda: resumen(fecha_emision=TODAY, fecha_generacion=AYER), "2671", sandbox=True
    ),
    "rc-2228-razon-social-corta": Case(
        lambda: resumen(emisor=r.Emisor(EMISOR.ruc, "AB")), "2228", sandbox=True
    ),
    "rc-4443-informado-tarde": Case(
        lambda: resumen(fecha_emision=HACE_10), "4443", observation=True, sandbox=True
    ),
    "rc-2251-tres-decimales": Case(
        lambda: resumen(boleta(1, "10.005", gravado="10.005")), "2251", also=("2254",)
    ),
    "rc-moneda-fuera-de-iso-4217": Case(lambda: resumen(boleta(1, moneda="SOL")), "PSE-0002"),
    "rc-0151-correlativo-cero": Case(lambda: resumen(correlativo=0), "0151"),
    "rc-2514-sin-cliente-sobre-700": Case(lambda: resumen(boleta(1, "800.00", anonimo=True)), "2514"),
    "rc-2017-ruc-del-cliente": Case(lambda: resumen(boleta(1, cliente=r.Cliente("6", "2010007097"))), "2017"),
    "rc-2016-tipo-de-documento": Case(lambda: resumen(boleta(1, cliente=r.Cliente("9", "123"))), "2016"),
    "rc-4207-dni-corto": Case(
        lambda: resumen(boleta(1, cliente=r.Cliente("1", "123"))), "4207", observation=True
    ),
    "rc-2582-boleta-con-referencia": Case(
        lambda: resumen(boleta(1, afectado=r.DocumentoAfectado("03", "B001", 9))), "2582"
    ),
    "rc-2524-nota-sin-referencia": Case(lambda: resumen(_nota()), "2524", also=("2583",)),
    "rc-2920-referencia-mal-formada": Case(
        lambda: resumen(_nota(afectado=r.DocumentoAfectado("03", "F001", 1))), "2920"
    ),
    "rc-2989-boleta-afectada-no-informada": Case(
        lambda: resumen(_nota(afectado=r.DocumentoAfectado("03", "B001", 9))), "2989"
    ),
    "rc-2990-boleta-afectada-anulada": Case(
        lambda: resumen(_nota(afectado=r.DocumentoAfectado("03", "B001", 9))),
        "2990",
        {("03", "B001", 9): r.Registrado("anulado", TODAY)},
    ),
    "rc-2986-percepcion-en-una-nota": Case(
        lambda: resumen(
            boleta(9),
            _nota(
                afectado=r.DocumentoAfectado("03", "B001", 9),
                percepcion=r.Percepcion.calcular("01", Decimal("11.80"), Decimal("11.80")),
            ),
        ),
        "2986",
    ),
    "rc-2608-percepcion-mal-calculada": Case(
        lambda: resumen(
            boleta(
                1,
                "1000.00",
                percepcion=r.Percepcion(
                    "01", Decimal(2), Decimal("1000.00"), Decimal("25.00"), Decimal("1025.00")
                ),
            )
        ),
        "2608",
    ),
    "rc-2891-tasa-de-percepcion": Case(
        lambda: resumen(
            boleta(
                1,
                "1000.00",
                percepcion=r.Percepcion(
                    "01", Decimal(1), Decimal("1000.00"), Decimal("10.00"), Decimal("1010.00")
                ),
            )
        ),
        "2891",
    ),
    "rc-2048-impuesto-negativo": Case(
        lambda: resumen(boleta(1, "100.00", gravado="100.00", igv="-1.00")), "2048"
    ),
    "rc-4019-igv-mal-calculado": Case(
        lambda: resumen(boleta(1, "130.00", gravado="100.00", igv="30.00")), "4019", observation=True
    ),
    "rc-4027-total-no-cuadra": Case(
        lambda: resumen(boleta(1, "150.00", gravado="100.00", igv="18.00")), "4027", observation=True
    ),
    # Comunicación de baja ----------------------------------------------------------------
    "ra-2308-boleta-por-baja": Case(
        lambda: baja(r.LineaBaja("03", "B001", 1, "Error en el cliente")), "2308", sandbox=True
    ),
    "ra-2310-serie-de-boleta": Case(
        lambda: baja(r.LineaBaja("01", "B001", 1, "Error en el cliente")), "2310", sandbox=True
    ),
    "ra-2312-numero-largo": Case(
        lambda: baja(r.LineaBaja("01", "F001", 123456789, "Error en el cliente")),
        "2312",
        also=("2105",),
        setup=_emitir(),
        sandbox=True,
    ),
    "ra-2348-duplicada": Case(
        lambda: baja(r.LineaBaja("01", "F001", 1, "Error"), r.LineaBaja("01", "F001", 1, "Error")),
        "2348",
        {F001_1: _vivo()},
        setup=_emitir(),
        sandbox=True,
    ),
    "ra-2315-sin-motivo": Case(
        lambda: baja(r.LineaBaja("01", "F001", 1, "  ")),
        "2315",
        {F001_1: _vivo()},
        setup=_emitir(),
        sandbox=True,
    ),
    "ra-2105-no-registrada": Case(lambda: baja(r.LineaBaja("01", "F001", 9, "Error")), "2105", sandbox=True),
    "ra-2323-ya-anulada": Case(
        lambda: baja(correlativo=2),
        "2323",
        {F001_1: r.Registrado("anulado", TODAY)},
        setup=_emitir_y_anular,
        sandbox=True,
    ),
    "ra-2398-rechazada": Case(
        lambda: baja(r.LineaBaja("01", "F001", 2, "Error")),
        "2398",
        {("01", "F001", 2): r.Registrado("rechazado", TODAY)},
        setup=_emitir(2, tamper=True),
        sandbox=True,
    ),
    "ra-2375-fecha-de-emision-distinta": Case(
        lambda: baja(fecha_emision=AYER), "2375", {F001_1: _vivo()}, setup=_emitir(), sandbox=True
    ),
    "ra-2957-fuera-de-plazo": Case(
        lambda: baja(fecha_emision=HACE_8),
        "2957",
        {F001_1: _vivo(HACE_8)},
        setup=_emitir(fecha=HACE_8),
        sandbox=True,
    ),
    "ra-2301-generada-manana": Case(
        lambda: baja(fecha_generacion=MANANA), "2301", {F001_1: _vivo()}, setup=_emitir(), sandbox=True
    ),
    "ra-4203-motivo-corto": Case(
        lambda: baja(r.LineaBaja("01", "F001", 1, "XX")),
        "4203",
        {F001_1: _vivo()},
        observation=True,
        setup=_emitir(),
        sandbox=True,
    ),
    # Resumen de reversiones --------------------------------------------------------------
    "rr-2674-serie-de-retencion": Case(
        lambda: reversiones(r.LineaBaja("20", "P001", 1, "Error")), "2674", {("20", "P001", 1): _vivo()}
    ),
    "rr-2675-serie-de-percepcion": Case(
        lambda: reversiones(r.LineaBaja("40", "R001", 1, "Error")), "2675", {("40", "R001", 1): _vivo()}
    ),
    "rr-2308-factura-en-reversion": Case(lambda: reversiones(r.LineaBaja("01", "F001", 1, "Error")), "2308"),
    "rr-2308-liquidacion-en-ose": Case(
        lambda: reversiones(r.LineaBaja("04", "L001", 1, "Error")), "2308", ose=True
    ),
    "rr-2750-no-existe": Case(lambda: reversiones(), "2750"),
    "rr-2751-ya-revertida": Case(
        lambda: reversiones(), "2751", {("20", "R001", 1): r.Registrado("anulado", TODAY)}
    ),
    "rr-2471-liquidacion-con-pagos": Case(
        lambda: reversiones(r.LineaBaja("04", "L001", 1, "Error")),
        "2471",
        {("04", "L001", 1): r.Registrado("aceptado", TODAY, pagos_registrados=True)},
    ),
    "rr-2958-liquidacion-fuera-de-plazo": Case(
        lambda: reversiones(r.LineaBaja("04", "L001", 1, "Error"), fecha_emision=HACE_8),
        "2958",
        {("04", "L001", 1): _vivo(HACE_8)},
    ),
}


def _check(case: Case, registro: r.Registro) -> IssueCollector:
    issues = IssueCollector()
    r.check(case.documento(), TODAY, issues, registro=registro, ose=case.ose)
    return issues


def _assert_code(case: Case, issues: IssueCollector) -> None:
    if case.observation:
        assert issues.issues == []
        assert [w.cod for w in issues.warnings] == [case.code]
        assert issues.warnings[0].mensaje.startswith(codes.message(case.code))
        return
    found = [issue.cod for issue in issues.issues]
    assert found, "the rules found nothing"
    assert found[0] == case.code, found
    assert set(found) == {case.code, *case.also}, found
    assert issues.issues[0].mensaje.startswith(codes.message(case.code))
    assert issues.issues[0].campo


@pytest.mark.parametrize("name", list(CASES))
def test_rules_answer_sunat_code(name: str) -> None:
    case = CASES[name]
    registro = FakeRegistro(case.registro)
    _assert_code(case, _check(case, registro))
    if not case.observation:
        with pytest.raises(ValidationFailed) as raised:
            r.validate(case.documento(), TODAY, registro=FakeRegistro(case.registro), ose=case.ose)
        assert raised.value.status == 422
        assert raised.value.issues[0].cod == case.code


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.sandbox])
def test_sandbox_answers_the_same_code(name: str, sunat: SandboxSunat) -> None:
    case = CASES[name]
    if case.setup is not None:
        case.setup(sunat)
    # The caller's database in the state the sandbox is in: the same facts, both sides.
    registro = FakeRegistro(
        {
            (d.tipo, d.serie, d.numero): r.Registrado(d.estado, dt.date.fromisoformat(d.issue_date))
            for d in sunat.app.state.sandbox.documents()
        }
    )
    _assert_code(case, _check(case, registro))

    status = sunat.submit(case.documento())

    assert status.cdr is not None
    if case.observation:
        assert status.estado is r.EstadoTicket.OBSERVADO
        assert [o.codigo for o in status.cdr.observaciones] == [case.code]
    else:
        assert (status.status_code, status.estado, status.codigo) == (
            "0099",
            r.EstadoTicket.RECHAZADO,
            case.code,
        )
        respuesta = status.respuesta()
        assert respuesta is not None
        assert respuesta["descripcion"].startswith(codes.message(case.code))


@pytest.mark.parametrize(
    ("documento", "code"),
    [(lambda: resumen(boleta(1)), "2223"), (lambda: baja(r.LineaBaja("01", "F001", 9, "Error")), "2324")],
    ids=["rc-2223", "ra-2324"],
)
def test_a_summary_name_is_presented_once(
    documento: Callable[[], r.Resumen], code: str, sunat: SandboxSunat
) -> None:
    presented: set[str] = set()
    first = documento()
    assert r.validate(first, TODAY, presentado=lambda nombre: nombre.id in presented) is not None
    sunat.submit(first)
    presented.add(first.nombre.id)

    with pytest.raises(ValidationFailed) as ours:
        r.validate(documento(), TODAY, presentado=lambda nombre: nombre.id in presented)
    assert [issue.cod for issue in ours.value.issues] == [code]
    # SUNAT answers a name presented before from sendSummary itself (greenter#93).
    signed = r.sign_summary(documento(), sunat.certificate)
    with pytest.raises(SoapFault) as theirs:
        r.send_summary(sunat.client, sunat.url, sunat.credentials, signed)
    assert theirs.value.code == code


def test_without_a_register_the_register_rows_are_skipped() -> None:
    documento = resumen(boleta(7, condicion="3"))
    assert r.validate(documento, TODAY) == []
    registro = FakeRegistro()
    with pytest.raises(ValidationFailed):
        r.validate(documento, TODAY, registro=registro)
    assert registro.asked == [r.ComprobanteRef("03", "B001", 7)]


def test_a_note_on_a_boleta_added_in_the_same_summary_is_informed() -> None:
    """Row 11.2 (2989): the boleta and its note of the same day travel together."""
    documento = resumen(boleta(9), _nota(afectado=r.DocumentoAfectado("03", "B001", 9)))
    assert r.validate(documento, TODAY, registro=FakeRegistro()) == []


def test_every_problem_is_reported_at_once() -> None:
    documento = resumen(
        boleta(1, serie="F001"),
        boleta(2, "800.00", anonimo=True),
        boleta(3, condicion="9"),
        fecha_generacion=MANANA,
    )
    with pytest.raises(ValidationFailed) as raised:
        r.validate(documento, TODAY)
    assert [(issue.cod, issue.campo) for issue in raised.value.issues] == [
        ("2236", "fecha_generacion"),
        ("2513", "lineas[0].serie"),
        ("2514", "lineas[1].cliente"),
        ("2896", "lineas[2].condicion"),
    ]


ZEROS = dict.fromkeys(
    ("gravado", "exonerado", "inafecto", "exportacion", "gratuito", "igv", "isc", "icbper"), "0"
)


@pytest.mark.parametrize(
    ("totales", "message"),
    [
        (
            {key: value for key, value in ZEROS.items() if key != "igv"} | {"total": "1.18"},
            "faltan totales: igv",
        ),
        (ZEROS | {"total": "uno"}, "no es un importe"),
        (ZEROS | {"total": "NaN"}, "no es un importe"),
    ],
    ids=["missing", "text", "nan"],
)
def test_linea_desde_comprobante_refuses_bad_totals(totales: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        r.linea_desde_comprobante(
            tipo="03", serie="B001", numero=1, cliente=None, totales=totales, moneda="PEN"
        )


def test_linea_desde_comprobante_maps_ivap_and_stored_dicts() -> None:
    totales = {
        "gravado": "100.00",
        "exonerado": "0.00",
        "inafecto": "0.00",
        "exportacion": "0.00",
        "gratuito": "0.00",
        "igv": "4.00",
        "isc": "0.00",
        "icbper": "0.00",
        "descuentos": "0.00",
        "cargos": "2.00",
        "anticipos": "0.00",
        "total": "106.00",
    }
    linea = r.linea_desde_comprobante(
        tipo="07",
        serie="BC01",
        numero=3,
        cliente={"tipo_documento": "1", "numero_documento": "46027897"},
        totales=totales,
        moneda="PEN",
        condicion=r.Condicion.MODIFICAR,
        documento_afectado={"tipo": "03", "serie": "B001", "numero": 5},
        ivap=True,
    )
    assert linea.totales == r.TotalesLinea(
        total=Decimal("106.00"), gravado=Decimal("100.00"), ivap=Decimal("4.00"), otros_cargos=Decimal("2.00")
    )
    assert (linea.condicion, linea.cliente, linea.documento_afectado) == (
        "2",
        r.Cliente("1", "46027897"),
        r.DocumentoAfectado("03", "B001", 5),
    )
    anonimo = r.linea_desde_comprobante(
        tipo="03",
        serie="B001",
        numero=4,
        cliente={"tipo_documento": "", "numero_documento": ""},
        totales=totales,
        moneda="PEN",
    )
    assert anonimo.cliente is None
    assert anonimo.totales.igv == Decimal("4.00")
