"""Peer measurement: sunat-py 0.5.0 building and signing a 10-line factura.

Runs inside its own virtual environment (``.venv-bench-sunatpy``, created by
``bench/run.py``), because sunat-py pins lxml<6, signxml<5 and cryptography<45. It uses
sunat-py exactly as its README shows; the certificate is loaded once, as a caller would.
Prints one JSON line: {"ops_per_s": ..., "iterations": ..., "seconds": ...}.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal

from sunat_py.security.cert_loader import load_cert_from_pfx
from sunat_py.signer.xmldsig import sign_invoice_xml
from sunat_py.sunat.packager import pack_invoice
from sunat_py.ubl.builder import build_invoice_xml
from sunat_py.ubl.models import InvoiceInput, InvoiceLine, Party


def main() -> None:
    pfx_path, password, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    with open(pfx_path, "rb") as handle:
        bundle = load_cert_from_pfx(handle.read(), password)
    emisor = Party(
        tipo_doc="6", numero_doc="20000000001", razon_social="EMPRESA DEMO S.A.C.", ubigeo="150101"
    )
    receptor = Party(tipo_doc="6", numero_doc="20100070970", razon_social="CLIENTE S.A.C.")
    lines = [
        InvoiceLine(
            codigo=f"P{i:03d}",
            descripcion=f"Producto {i}",
            unidad="NIU",
            cantidad=Decimal(i),
            precio_unitario=Decimal("11.80"),
        )
        for i in range(1, 11)
    ]

    def once(numero: int) -> bytes:
        invoice = InvoiceInput(
            serie="F001",
            numero=numero,
            fecha_emision=dt.date.today(),
            moneda="PEN",
            emisor=emisor,
            receptor=receptor,
            lines=lines,
        )
        return sign_invoice_xml(build_invoice_xml(invoice), bundle)

    # Its zip step is one pack_invoice call; checked once so the output is a real package.
    assert pack_invoice(once(1), "20000000001-01-F001-1")[:2] == b"PK"

    for warm in range(3):
        once(warm + 1)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        once(count + 1)
        count += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"ops_per_s": count / elapsed, "iterations": count, "seconds": elapsed}))


if __name__ == "__main__":
    main()
