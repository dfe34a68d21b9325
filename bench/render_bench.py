"""Printed representations per second per core: ``render_pdf`` in A4 and in 80 mm ticket.

Every document type OpenPSE prints is measured: SUNAT's factura, boleta and notas (01, 03,
07, 08), the guías de remisión remitente and transportista (09, 31), the comprobantes de
retención and percepción (20, 40), and Costa Rica's v4.4 factura, notas, tiquete, factura
de compra, factura de exportación and recibo electrónico de pago. Each is built and signed
by OpenPSE first (not timed); then the signed XMLs are printed in turn, round robin, for a
fixed time, on one core, with the QR encoded anew for every document (a new document has
a new QR; the encoder's cache would otherwise hide that cost) and without a logo.

A4 pages are counted from the PDFs (a document of ten lines fills one page); a ticket is
one page as long as its content. ``bench/run.py`` calls :func:`measure_render_on_one_core`
and adds :func:`render_rows` to its table; ``python bench/render_bench.py`` runs it alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2

from openpse.authorities.base import EmpresaContext
from openpse.authorities.hacienda import ComprobanteIn, emitir
from openpse.authorities.hacienda import Emisor as EmisorCR
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.guias import Emisor as EmisorGRE
from openpse.authorities.sunat.guias import parse_guia, prepare_guia
from openpse.authorities.sunat.retper import RetPerAuthority
from openpse.core.timeutil import now_lima
from openpse.render import qr, render_pdf
from openpse.signing.certificates import Certificate, generate_test_certificate

RUC = "20000000001"
RAZON_SOCIAL = "EMPRESA DEMO S.A.C."
LINES = 10
_PAGE = re.compile(rb"/Type\s*/Page[^s]")
"""A page object in the PDF (``/Type /Pages`` is the page tree)."""
_CR = dt.timezone(dt.timedelta(hours=-6))


def _empresa(cert: Certificate) -> EmpresaContext:
    return EmpresaContext(
        id=1,
        pais="PE",
        identificacion=RUC,
        razon_social=RAZON_SOCIAL,
        nombre_comercial="DEMO",
        direccion={
            "ubigeo": "150101",
            "direccion": "AV. JAVIER PRADO ESTE 123",
            "urbanizacion": "SAN ISIDRO",
            "provincia": "LIMA",
            "departamento": "LIMA",
            "distrito": "SAN ISIDRO",
        },
        destino="sunat",
        ambiente="sandbox",
        ose_url=None,
        usuario=None,
        clave=None,
        firma_algoritmo="sha256",
        certificate=cert,
    )


# -- SUNAT: factura, boleta, notas ---------------------------------------------------------------


def _items(lines: int) -> list[dict[str, str]]:
    return [
        {
            "codigo": f"P{n:03d}",
            "descripcion": f"Producto de prueba número {n}",
            "unidad": "NIU",
            "cantidad": str(n),
            "valor_unitario": "10.00",
        }
        for n in range(1, lines + 1)
    ]


def _comprobantes(cert: Certificate, lines: int) -> dict[str, bytes]:
    authority = SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")
    cliente = {"tipo_documento": "6", "numero_documento": "20100070970", "razon_social": "CLIENTE S.A.C."}
    factura = {"tipo": "01", "serie": "F001", "cliente": cliente, "items": _items(lines)}
    boleta = {
        "tipo": "03",
        "serie": "B001",
        "cliente": {"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
        "items": _items(lines),
    }
    afectado = {"tipo": "01", "serie": "F001", "numero": 1}
    credito = {
        **factura,
        "tipo": "07",
        "documento_afectado": afectado,
        "motivo": {"codigo": "07", "descripcion": "Devolución de mercadería"},
    }
    debito = {
        **factura,
        "tipo": "08",
        "documento_afectado": afectado,
        "motivo": {"codigo": "01", "descripcion": "Intereses por mora"},
    }
    empresa, today = _empresa(cert), now_lima().date()
    return {
        f"PE-{body['tipo']}": authority.prepare(authority.parse(body), 1, empresa, today).xml
        for body in (factura, boleta, credito, debito)
    }


# -- SUNAT: guías ---------------------------------------------------------------------------------


def _guias(cert: Certificate, lines: int) -> dict[str, bytes]:
    today = now_lima().date().isoformat()
    bienes = [
        {
            "descripcion": f"Bien trasladado número {n}",
            "cantidad": str(n),
            "unidad": "NIU",
            "codigo": f"B{n:03d}",
        }
        for n in range(1, lines + 1)
    ]
    common = {
        "destinatario": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "FERRETERIA EL CLAVO S.A.C.",
        },
        "fecha_inicio_traslado": today,
        "partida": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Cercado de Lima"},
        "vehiculos": [{"placa": "F2E836"}],
        "conductores": [
            {
                "tipo_documento": "1",
                "numero_documento": "46027897",
                "nombres": "JUAN CARLOS",
                "apellidos": "PEREZ ROJAS",
                "licencia": "Q46027897",
            }
        ],
        "bienes": bienes,
    }
    remitente = {
        **common,
        "tipo": "09",
        "serie": "T001",
        "motivo_traslado": "01",
        "modalidad_traslado": "02",
        "peso_bruto_total": "850.5",
        "llegada": {"ubigeo": "150122", "direccion": "Calle Los Pinos 456, Miraflores"},
        "documentos_relacionados": [{"tipo": "01", "numero": "F001-1520", "ruc_emisor": RUC}],
    }
    transportista = {
        **common,
        "tipo": "31",
        "serie": "V001",
        "registro_mtc": "15M22004567",
        "vehiculos": [{"placa": "F2E836", "tuc": "15M21028102E"}],
        "remitente": {
            "tipo_documento": "6",
            "numero_documento": "20100047218",
            "razon_social": "REMITENTE S.A.C.",
        },
        "pagador_flete": "remitente",
        "peso_bruto_total": "0.850",
        "unidad_peso": "TNE",
        "llegada": {"ubigeo": "040101", "direccion": "Av. Ejercito 710, Yanahuara"},
        "documentos_relacionados": [{"tipo": "01", "numero": "F001-1520", "ruc_emisor": "20100047218"}],
    }
    emisor = EmisorGRE(RUC, RAZON_SOCIAL)
    return {
        f"PE-{body['tipo']}": prepare_guia(parse_guia(body), 1, emisor, cert).xml
        for body in (remitente, transportista)
    }


# -- SUNAT: retención y percepción ------------------------------------------------------------------


def _retper(cert: Certificate, lines: int) -> dict[str, bytes]:
    today = now_lima().date()

    def documentos(tipo: str, serie: str, movimientos: str) -> list[dict[str, Any]]:
        return [
            {
                "tipo": tipo,
                "serie": serie,
                "numero": n,
                "fecha_emision": today.isoformat(),
                "moneda": "PEN",
                "importe_total": "1180.00",
                movimientos: [{"fecha": today.isoformat(), "importe": "1180.00"}],
            }
            for n in range(1, lines + 1)
        ]

    retencion = {
        "tipo": "20",
        "serie": "R001",
        "regimen": "01",
        "proveedor": {"numero_documento": "20100070970", "razon_social": "PROVEEDOR DEMO S.A.C."},
        "documentos": documentos("01", "F001", "pagos"),
    }
    percepcion = {
        "tipo": "40",
        "serie": "P001",
        "regimen": "01",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": "20603343710",
            "razon_social": "CLIENTE S.A.C.",
        },
        "documentos": documentos("03", "B001", "cobros"),
    }
    authority = RetPerAuthority(httpx2.Client(), "http://127.0.0.1:9")
    empresa = _empresa(cert)
    return {
        f"PE-{body['tipo']}": authority.prepare(authority.parse(body), 1, empresa, today).xml
        for body in (retencion, percepcion)
    }


# -- Costa Rica ----------------------------------------------------------------------------------


_CR_EMPRESA = {
    "nombre": "Servicios Demo Sociedad Anónima",
    "identificacion": {"tipo": "02", "numero": "3101123456"},
    "nombre_comercial": "Demo",
    "ubicacion": {
        "provincia": "1",
        "canton": "01",
        "distrito": "01",
        "otras_senas": "Avenida 7, calles 3 y 5",
    },
    "telefono": {"codigo_pais": "506", "numero": "22223333"},
    "correos": ["facturas@demo.cr"],
    "codigo_actividad": "721001",
}


def _cr_payload(tipo: str, lines: int) -> dict[str, Any]:
    items = [
        {
            "cabys": "2211100000000",
            "cantidad": str(n),
            "unidad": "Unid",
            "descripcion": f"Producto de prueba número {n}",
            "precio_unitario": "1000",
            "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
        }
        for n in range(1, lines + 1)
    ]
    referencia = {
        "tipo_documento": "01",
        "numero": "50601112600310112345600100001010000000001100000001",
        "fecha_emision": "2026-11-02T09:00:00-06:00",
        "codigo": "01",
        "razon": "Anula la factura",
    }
    receptor = {
        "nombre": "María Pérez Rodríguez",
        "identificacion": {"tipo": "01", "numero": "106130584"},
        "correo": "maria@ejemplo.cr",
    }
    body: dict[str, Any] = {"tipo": tipo, "items": items, "medios_pago": [{"tipo": "01"}]}
    if tipo in ("01", "02", "03"):
        body["receptor"] = receptor
    if tipo in ("02", "03"):
        body["referencias"] = [referencia]
    if tipo == "08":
        body["proveedor"] = {
            "nombre": "Juan Vendedor Informal",
            "identificacion": {"tipo": "01", "numero": "205550123"},
            "ubicacion": {
                "provincia": "2",
                "canton": "01",
                "distrito": "01",
                "otras_senas": "Mercado central",
            },
        }
        body["referencias"] = [{**referencia, "tipo_documento": "14", "numero": "FAC-0001", "codigo": "04"}]
    if tipo == "09":
        body["receptor"] = {
            "nombre": "Importadora del Norte LLC",
            "identificacion": {"tipo": "05", "numero": "US998877"},
            "otras_senas_extranjero": "1200 Brickell Ave, Miami, Florida",
        }
        body["moneda"], body["tipo_cambio"] = "USD", "505.12"
        for item in items:
            item["impuestos"] = [{"codigo": "01", "codigo_tarifa_iva": "01"}]
            item["partida_arancelaria"] = "090111000000"
    if tipo == "10":
        body["receptor"] = {
            "nombre": "Ministerio de Ejemplo",
            "identificacion": {"tipo": "02", "numero": "2100042005"},
        }
        body["condicion_venta"] = "09"
        body["items"] = [
            {
                "descripcion": f"Pago parcial número {n} de la factura de servicios",
                "precio_unitario": "50000",
                "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
            }
            for n in range(1, lines + 1)
        ]
        body["referencias"] = [{**referencia, "codigo": "17", "razon": "Pago a comprobante electrónico"}]
    return body


def _costa_rica(lines: int) -> dict[str, bytes]:
    cert = generate_test_certificate("3101123456", "SERVICIOS DEMO S.A.")
    emisor = EmisorCR.model_validate(_CR_EMPRESA)
    moment = dt.datetime(2026, 11, 21, 10, 15, 2, tzinfo=_CR)
    return {
        f"CR-{tipo}": emitir(
            ComprobanteIn.model_validate(_cr_payload(tipo, lines)), emisor, cert, numero=1, ahora=moment
        ).xml
        for tipo in ("01", "02", "03", "04", "08", "09", "10")
    }


def documents(cert: Certificate, lines: int = LINES) -> dict[str, bytes]:
    """One signed document of every printable type, ``lines`` lines each (``PE-01``, ``CR-04``...)."""
    return {
        **_comprobantes(cert, lines),
        **_guias(cert, lines),
        **_retper(cert, lines),
        **_costa_rica(lines),
    }


# -- measuring -----------------------------------------------------------------------------------


def _rate(work: Callable[[int], int], seconds: float) -> tuple[float, float, int]:
    """(documents per second, pages per second, documents) of ``work(i)`` → pages, after a warm-up."""
    for i in range(10):
        work(i)
    count = pages = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pages += work(count)
        count += 1
    elapsed = time.perf_counter() - start
    return count / elapsed, pages / elapsed, count


def measure_render(seconds: float = 3.0, cert: Certificate | None = None) -> dict[str, Any]:
    """Render rates in this process (one thread: one core), per format and per document type.

    ``seconds`` is the time given to each format over all types together; each type then
    gets ``seconds / 4`` on its own (its ms per document: median and fastest of its runs).
    """
    cert = cert or generate_test_certificate(RUC, RAZON_SOCIAL)
    signed = documents(cert)
    names = sorted(signed)
    results: dict[str, Any] = {"types": names, "lines": LINES}
    for formato in ("a4", "ticket"):
        page_counts = {name: len(_PAGE.findall(render_pdf(signed[name], formato=formato))) for name in names}

        def work(i: int, formato: str = formato, page_counts: dict[str, int] = page_counts) -> int:
            name = names[i % len(names)]
            qr.clear_cache()
            render_pdf(signed[name], formato=formato)
            return page_counts[name]

        documents_per_s, pages_per_s, count = _rate(work, seconds)
        per_type = {}
        for name in names:
            times: list[float] = []
            deadline = time.perf_counter() + seconds / 4
            while time.perf_counter() < deadline or len(times) < 5:
                qr.clear_cache()
                start = time.perf_counter()
                render_pdf(signed[name], formato=formato)
                times.append(time.perf_counter() - start)
            per_type[name] = {
                "ms": statistics.median(times) * 1000,
                "best_ms": min(times) * 1000,
                "pages": page_counts[name],
                "kb": len(render_pdf(signed[name], formato=formato)) / 1024,
            }
        best = sum(data["best_ms"] for data in per_type.values()) / 1000
        results[formato] = {
            "documents_per_s": documents_per_s,
            "pages_per_s": pages_per_s,
            # On a shared machine the median carries the neighbours' load; the fastest run
            # of each type is what the code costs when it has the core to itself.
            "pages_per_s_best": sum(page_counts.values()) / best,
            "documents": count,
            "per_type": per_type,
        }
    return results


def measure_render_on_one_core(seconds: float = 3.0, cert: Certificate | None = None) -> dict[str, Any]:
    """:func:`measure_render` in a child process pinned to core 0, so the caller keeps its cores."""
    if not hasattr(os, "fork") or not hasattr(os, "sched_setaffinity"):
        return measure_render(seconds, cert)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        status = 0
        try:
            os.sched_setaffinity(0, {0})
            payload = json.dumps(measure_render(seconds, cert)).encode()
        except BaseException as exc:  # reported to the parent, which raises it
            payload, status = json.dumps({"error": repr(exc)}).encode(), 1
        with os.fdopen(write, "wb") as out:
            out.write(payload)
        os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        data: dict[str, Any] = json.loads(source.read())
    os.waitpid(pid, 0)
    if "error" in data:
        raise RuntimeError(f"la medición de la representación impresa falló: {data['error']}")
    return data


def render_rows(results: dict[str, Any]) -> list[str]:
    """Rows for the table of ``bench/README.md`` (same columns as ``bench/run.py``)."""
    rows = []
    names = {"a4": "A4", "ticket": "ticket de 80 mm"}
    for formato in ("a4", "ticket"):
        data = results[formato]
        slowest = max(data["per_type"].items(), key=lambda item: item[1]["ms"])
        fastest = min(data["per_type"].items(), key=lambda item: item[1]["ms"])
        rows.append(
            f"| (c) representación impresa en {names[formato]}, {len(results['types'])} tipos "
            f"({results['lines']} líneas, PE y CR), 1 núcleo | **{data['pages_per_s']:,.0f} páginas/s** "
            f"({data['documents_per_s']:,.0f} documentos/s; {data['pages_per_s_best']:,.0f} páginas/s con "
            "el núcleo libre) | "
            f"por documento: {fastest[1]['ms']:.1f} ms ({fastest[0]}) a {slowest[1]['ms']:.1f} ms "
            f"({slowest[0]}) | — |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="duración de la medida de cada formato")
    parser.add_argument("--json", action="store_true", help="imprimir también los resultados en JSON")
    args = parser.parse_args()
    results = measure_render_on_one_core(args.seconds)
    print("\n".join(render_rows(results)))
    for formato in ("a4", "ticket"):
        print(f"\n{formato}:")
        for name, data in results[formato]["per_type"].items():
            print(
                f"  {name:6} {data['ms']:6.1f} ms (mejor {data['best_ms']:5.1f} ms)  {data['pages']} pág.  "
                f"{data['kb']:5.1f} KB"
            )
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
