"""Genera ``docs/guia-integracion.md`` ejecutando OpenPSE: cada ejemplo es una llamada real.

Levanta el sandbox de SUNAT en un puerto local, la API en proceso con una empresa demo
en un directorio temporal, hace las llamadas que la guía explica y escribe, tal cual,
los pedidos y las respuestas (JSON, XML y Base64), incluidos los mensajes SOAP que
OpenPSE cruzó con el sandbox. Uso: ``make docs`` o ``python docs/generar_guia.py [SALIDA]``.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from lxml import etree
from starlette.testclient import TestClient

from openpse import demo
from openpse.api.app import create_app
from openpse.authorities.hacienda import ComprobanteIn, Emisor, emitir
from openpse.authorities.hacienda.perfil import generar_certificado_prueba, tipo_identificacion
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.sandbox import SandboxConfig
from openpse.sandbox import create_app as create_sandbox_app
from openpse.settings import Settings

OUT = Path(__file__).with_name("guia-integracion.md")
CLIENTE = {
    "tipo_documento": "6",
    "numero_documento": "20100070970",
    "razon_social": "CLIENTE S.A.C.",
    "direccion": "Av. Lima 123",
}
FACTURA = {
    "tipo": "01",
    "serie": "F001",
    "numero": 1,
    "moneda": "PEN",
    "tipo_operacion": "0101",
    "cliente": CLIENTE,
    "items": [
        {
            "codigo": "P001",
            "descripcion": "Producto",
            "unidad": "NIU",
            "cantidad": "2",
            "valor_unitario": "50.00",
            "afectacion_igv": "10",
        },
        {
            "codigo": "S001",
            "descripcion": "Servicio de instalación",
            "unidad": "ZZ",
            "cantidad": "1",
            "precio_unitario": "59.00",
            "afectacion_igv": "10",
        },
    ],
    "forma_pago": {"tipo": "Credito", "cuotas": [{"monto": "177.00", "fecha_pago": "2099-12-31"}]},
}
BOLETA = {
    "tipo": "03",
    "serie": "B001",
    "cliente": {"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
    "items": [
        {"descripcion": "Pan francés", "unidad": "NIU", "cantidad": "10", "precio_unitario": "0.50"},
        {
            "descripcion": "Libro",
            "unidad": "NIU",
            "cantidad": "1",
            "valor_unitario": "45.00",
            "afectacion_igv": "20",
        },
    ],
}
NOTA = {
    "tipo": "07",
    "serie": "F001",
    "cliente": CLIENTE,
    "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
    "motivo": {"codigo": "01", "descripcion": "Anulación de la operación"},
    "items": FACTURA["items"],
}
TRANSPORTE = {
    "tipo": "01",
    "serie": "F002",
    "tipo_operacion": "1004",
    "cliente": CLIENTE,
    "items": [
        {
            "descripcion": "Flete Lima - Arequipa, 28 t de cemento",
            "unidad": "ZZ",
            "cantidad": "1",
            "valor_unitario": "3000.00",
            "transporte_carga": {
                "origen": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Cercado de Lima"},
                "destino": {"ubigeo": "040101", "direccion": "Calle Mercaderes 100, Arequipa"},
                "detalle_viaje": "Carga de cemento en bolsas, Lima - Arequipa",
                "valor_referencial_servicio": "2800.00",
                "valor_referencial_carga_efectiva": "2650.00",
                "valor_referencial_carga_util": "2750.00",
                "configuracion_vehicular": "T3S3",
                "carga_util": "30.00",
                "carga_efectiva": "28.00",
            },
        }
    ],
    "detraccion": {"codigo": "027", "porcentaje": "4", "cuenta": "00-099-025344"},
    "forma_pago": {
        "tipo": "Credito",
        "cuotas": [
            {"monto": "1699.20", "fecha_pago": "2099-01-31"},
            {"monto": "1699.20", "fecha_pago": "2099-02-28"},
        ],
    },
}
NOTA_CUOTAS = {
    "tipo": "07",
    "serie": "F002",
    "cliente": CLIENTE,
    "documento_afectado": {"tipo": "01", "serie": "F002", "numero": 1},
    "motivo": {"codigo": "13", "descripcion": "Reprogramación del crédito en tres cuotas"},
    "items": [{"descripcion": "Flete Lima - Arequipa, 28 t de cemento", "unidad": "ZZ", "cantidad": "1"}],
    "forma_pago": {
        "tipo": "Credito",
        "cuotas": [
            {"monto": "1132.80", "fecha_pago": "2099-03-31"},
            {"monto": "1132.80", "fecha_pago": "2099-04-30"},
            {"monto": "1132.80", "fecha_pago": "2099-05-31"},
        ],
    },
}
LIMIT = 1200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clip(text: str, limit: int = LIMIT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}…[{len(text) - limit} caracteres más]…{text[-limit // 2 :]}"


def _clip_base64(xml: str) -> str:
    """Shorten long Base64 runs inside XML, saying how long they were."""
    import re

    return re.sub(r">([A-Za-z0-9+/=]{200,})<", lambda m: f">{_clip(m.group(1), 160)}<", xml)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _block(language: str, text: str) -> str:
    return f"```{language}\n{text.rstrip()}\n```\n"


def _pretty_xml(data: bytes) -> str:
    """Indent an XML message for reading (only for SOAP envelopes, never for signed documents)."""
    root = etree.fromstring(data)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


class Capture:
    """Keeps the SOAP messages OpenPSE exchanges with the sandbox."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[str, bytes, int, bytes]] = []

    def request(self, request: httpx2.Request) -> None:
        request.read()

    def response(self, response: httpx2.Response) -> None:
        response.read()
        action = response.request.headers.get("SOAPAction", "")
        self.exchanges.append((action, response.request.content, response.status_code, response.content))


def _http(
    client_request: httpx2.Request | None,
    response: httpx2.Response,
    body: str | None = None,
    language: str = "json",
) -> str:
    request = response.request
    lines = [
        f"{request.method} {request.url.path}{'?' + request.url.query.decode() if request.url.query else ''}"
    ]
    for name in ("authorization", "content-type", "idempotency-key"):
        if name in request.headers:
            value = request.headers[name]
            if name == "authorization" and value.startswith("Bearer "):
                value = "Bearer " + value[7:15] + "…"
            lines.append(f"{name.title()}: {value}")
    text = _block("http", "\n".join(lines) + ("\n\n" + body if body else ""))
    answer = [f"HTTP {response.status_code}"]
    for name in ("content-type", "location"):
        if name in response.headers:
            answer.append(f"{name.title()}: {response.headers[name]}")
    content = response.text
    if language == "json":
        content = _json(response.json())
    text += _block("http", "\n".join(answer) + "\n\n" + content)
    return text


def _logo_png() -> bytes:
    """A small two-colour logo for the example (Pillow draws it, so the guide needs no file)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 79, 79), fill=(180, 30, 40, 255))
    draw.rectangle((90, 25, 239, 55), fill=(40, 40, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def generate(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox_port = _free_port()
        sandbox = uvicorn.Server(
            uvicorn.Config(
                create_sandbox_app(SandboxConfig(cert_dir=Path(tmp) / "sb")),
                host="127.0.0.1",
                port=sandbox_port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=sandbox.run, daemon=True)
        thread.start()
        while not sandbox.started:
            time.sleep(0.02)
        capture = Capture()
        http = httpx2.Client(
            timeout=30, event_hooks={"request": [capture.request], "response": [capture.response]}
        )
        settings = Settings(data_dir=Path(tmp) / "data", sandbox_url=f"http://127.0.0.1:{sandbox_port}")
        runtime = Runtime.create(settings, create_master_key=True, http=http)
        runtime.db.migrate()
        demo.seed(runtime, costa_rica=True)
        JobQueue(runtime)
        try:
            with TestClient(create_app(runtime, start_workers=2), base_url="http://127.0.0.1:8000") as api:
                sections = _sections(api, capture)
        finally:
            runtime.close()
            sandbox.should_exit = True
            thread.join(timeout=10)
    out.write_text(sections, encoding="utf-8")


def _sections(api: TestClient, capture: Capture) -> str:
    parts: list[str] = [HEADER]

    # 1. Autenticación
    parts.append(AUTH_TEXT)
    form = "grant_type=client_credentials&client_id=demo-pe&client_secret=demo-secret"
    token = api.post(
        "/v1/oauth2/token", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    parts.append(_http(None, token, form))
    parts.append(
        "Con HTTP Basic (`client_id:client_secret` en Base64), como hacen muchos clientes OAuth2:\n\n"
    )
    basic = api.post(
        "/v1/oauth2/token",
        content="grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(b"demo-pe:demo-secret").decode(),
        },
    )
    parts.append(
        _block(
            "http",
            "POST /v1/oauth2/token\nAuthorization: Basic "
            + base64.b64encode(b"demo-pe:demo-secret").decode()
            + "\nContent-Type: application/x-www-form-urlencoded\n\ngrant_type=client_credentials",
        )
    )
    parts.append(f"Respuesta: HTTP {basic.status_code}, el mismo formato.\n\n")
    parts.append("El grant `password` agrega el usuario de la empresa:\n\n")
    # The demo user of the generated guide, not a real credential.
    password_form = "&".join(
        [
            "grant_type=password",
            "client_id=demo-pe",
            "client_secret=demo-secret",
            "username=demo",
            "password=demo-secret",
        ]
    )
    parts.append(
        _http(
            None,
            api.post(
                "/v1/oauth2/token",
                content=password_form,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            password_form,
        )
    )
    parts.append("Credenciales incorrectas (RFC 6749):\n\n")
    wrong = "grant_type=client_credentials&client_id=demo-pe&client_secret=otra"
    parts.append(
        _http(
            None,
            api.post(
                "/v1/oauth2/token",
                content=wrong,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            wrong,
        )
    )
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    parts.append("Sin token, o con uno vencido, toda llamada responde 401 en el formato de errores:\n\n")
    parts.append(_http(None, api.get("/v1/comprobantes/20000000001-01-F001-1")))

    # 2. Generación y firma
    parts.append(SIGN_TEXT)
    body = _json(FACTURA)
    signed = api.post("/v1/comprobantes", params={"enviar": "false"}, json=FACTURA, headers=auth)
    parts.append(_http(None, signed, body))
    doc_id = signed.json()["id"]
    xml = api.get(f"/v1/comprobantes/{doc_id}/xml", headers=auth)
    parts.append(SIGNED_XML_TEXT.format(id=doc_id, hash=signed.json()["hash"]))
    parts.append(_block("http", f"GET /v1/comprobantes/{doc_id}/xml\nAuthorization: Bearer …"))
    parts.append(_block("xml", xml.content.decode("utf-8")))
    parts.append(ERRORS_TEXT)
    bad = {
        **FACTURA,
        "numero": 2,
        "cliente": {**CLIENTE, "numero_documento": "20100070971"},
        "totales": {"total": "200.00"},
    }
    parts.append(_http(None, api.post("/v1/comprobantes", json=bad, headers=auth), _json(bad)))
    parts.append(CONFLICT_TEXT)
    other = {**FACTURA, "items": FACTURA["items"][:1], "forma_pago": {"tipo": "Contado"}}
    parts.append(_http(None, api.post("/v1/comprobantes", json=other, headers=auth), _json(other)))
    parts.append(XML_INPUT_TEXT)
    unsigned = etree.fromstring(xml.content)
    signature = unsigned.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    signature.getparent().remove(signature)
    unsigned.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID").text = "F001-2"
    unsigned_xml = etree.tostring(unsigned, xml_declaration=True, encoding="UTF-8")
    xml_post = api.post(
        "/v1/comprobantes",
        params={"enviar": "false"},
        content=unsigned_xml,
        headers={**auth, "Content-Type": "application/xml"},
    )
    parts.append(_http(None, xml_post, _clip(unsigned_xml.decode("utf-8"), 900)))
    parts.append(SIGN_ONLY_TEXT)
    only = {"xml": base64.b64encode(unsigned_xml).decode("ascii")}
    signed_only = api.post("/v1/firma", json=only, headers=auth)
    shown = {"xml": _clip(only["xml"], 120)}
    answer = signed_only.json()
    parts.append(
        _block(
            "http",
            "POST /v1/firma\nAuthorization: Bearer …\nContent-Type: application/json\n\n" + _json(shown),
        )
    )
    parts.append(
        _block(
            "http",
            f"HTTP {signed_only.status_code}\n\n"
            + _json({"xml": _clip(answer["xml"], 120), "hash": answer["hash"]}),
        )
    )

    # 3. Envío
    parts.append(SEND_TEXT)
    sent = api.post(f"/v1/comprobantes/{doc_id}/envio", headers=auth)
    parts.append(_http(None, sent))
    final = api.get(f"/v1/comprobantes/{doc_id}", params={"espera": 20}, headers=auth)
    parts.append(SOAP_TEXT)
    action, request, status, response = next(e for e in capture.exchanges if e[0] == "urn:sendBill")
    parts.append(
        _block(
            "http",
            f"POST /ol-ti-itcpfegem-beta/billService\nContent-Type: text/xml; charset=utf-8\n"
            f"SOAPAction: {action}\n\n" + _clip_base64(_pretty_xml(request)),
        )
    )
    parts.append(_block("http", f"HTTP {status}\n\n" + _clip_base64(_pretty_xml(response))))
    envio = api.get(f"/v1/comprobantes/{doc_id}/cdr", params={"formato": "zip"}, headers=auth)
    parts.append(ZIP_TEXT.format(name=f"{doc_id}.zip"))
    parts.append(POS_TEXT)
    boleta = api.post("/v1/comprobantes", params={"espera": 10}, json=BOLETA, headers=auth)
    parts.append(_http(None, boleta, _json(BOLETA)))
    parts.append(NOTE_TEXT)
    note = api.post("/v1/comprobantes", params={"espera": 10}, json=NOTA, headers=auth)
    parts.append(_http(None, note, _json(NOTA)))
    parts.append(SPECIAL_TEXT)
    transporte = api.post("/v1/comprobantes", params={"espera": 10}, json=TRANSPORTE, headers=auth)
    parts.append(_http(None, transporte, _json(TRANSPORTE)))
    parts.append(CUOTAS_TEXT)
    cuotas = api.post("/v1/comprobantes", params={"espera": 10}, json=NOTA_CUOTAS, headers=auth)
    parts.append(_http(None, cuotas, _json(NOTA_CUOTAS)))
    parts.append(VOID_TEXT)
    motivo = {"motivo": "Error en el nombre del cliente"}
    voided = api.post(
        f"/v1/comprobantes/{boleta.json()['id']}/anulacion", params={"espera": 20}, json=motivo, headers=auth
    )
    parts.append(_http(None, voided, _json(motivo)))
    parts.append(SUMMARY_TEXT)
    cambio = {"boletas_por_resumen": True}
    parts.append(_http(None, api.patch("/v1/empresas/20000000001", json=cambio, headers=auth), _json(cambio)))
    parts.append(SUMMARY_WAIT_TEXT)
    informada = api.post("/v1/comprobantes", json=BOLETA, headers=auth)
    parts.append(_http(None, informada, _json(BOLETA)))
    parts.append(SUMMARY_SEND_TEXT)
    parts.append(_http(None, api.post("/v1/resumenes", headers=auth)))
    parts.append(SUMMARY_ANSWER_TEXT)
    parts.append(
        _http(
            None,
            api.get(f"/v1/comprobantes/{informada.json()['id']}", params={"espera": 20}, headers=auth),
        )
    )
    parts.append(SUMMARY_RULES_TEXT)
    api.patch("/v1/empresas/20000000001", json={"boletas_por_resumen": False}, headers=auth)

    # 4. Consulta
    parts.append(STATUS_TEXT)
    parts.append(_http(None, final))
    cdr = api.get(f"/v1/comprobantes/{doc_id}/cdr", headers=auth)
    parts.append(CDR_TEXT)
    parts.append(_block("http", f"GET /v1/comprobantes/{doc_id}/cdr\nAuthorization: Bearer …"))
    parts.append(_block("xml", _clip_base64(_pretty_xml(cdr.content))))
    parts.append(CDR_ZIP_TEXT.format(id=doc_id))
    parts.append(_block("http", f"GET /v1/comprobantes/{doc_id}/cdr?formato=zip\nAuthorization: Bearer …"))
    parts.append(
        _block(
            "text",
            f"HTTP {envio.status_code}\nContent-Type: {envio.headers['content-type']}\n"
            f"Content-Disposition: {envio.headers['content-disposition']}\n\n"
            f"(Base64 de los {len(envio.content)} bytes del zip)\n"
            + _clip(base64.b64encode(envio.content).decode(), 400),
        )
    )
    parts.append(PDF_TEXT)
    logo_png = _logo_png()
    logo_b64 = base64.b64encode(logo_png).decode()
    logo = api.put(f"/v1/empresas/{demo.DEMO_RUC}/logo", json={"imagen": logo_b64}, headers=auth)
    parts.append(_http(None, logo, _json({"imagen": _clip(logo_b64, 40)})))
    parts.append(LOGO_AFTER_TEXT)
    pdf = api.get(f"/v1/comprobantes/{doc_id}/pdf", headers=auth)
    ticket = api.get(
        f"/v1/comprobantes/{boleta.json()['id']}/pdf", params={"formato": "ticket"}, headers=auth
    )
    for path, answer in (
        (f"/v1/comprobantes/{doc_id}/pdf", pdf),
        (f"/v1/comprobantes/{boleta.json()['id']}/pdf?formato=ticket", ticket),
    ):
        parts.append(_block("http", f"GET {path}\nAuthorization: Bearer …"))
        parts.append(
            _block(
                "text",
                f"HTTP {answer.status_code}\nContent-Type: {answer.headers['content-type']}\n"
                f"Content-Disposition: {answer.headers['content-disposition']}\n\n"
                f"({len(answer.content)} bytes, {answer.content[:8].decode('latin-1')}…)",
            )
        )
    parts.append(LIST_TEXT)
    parts.append(_http(None, api.get("/v1/comprobantes", params={"tipo": "01", "tamano": 2}, headers=auth)))
    parts.append(_http(None, api.get("/v1/comprobantes/20000000001-01-F999-1", headers=auth)))
    parts.append(_costa_rica(api))
    parts.append(FOOTER)
    return "".join(parts)


PROVEEDOR_CR = {
    "nombre": "Distribuidora Proveedora Sociedad Anónima",
    "identificacion": {"tipo": "02", "numero": "3102987654"},
    "ubicacion": {"provincia": "2", "canton": "01", "distrito": "01", "otras_senas": "Frente al parque"},
    "correos": ["facturas@proveedora.cr"],
    "codigo_actividad": "523101",
}


def _factura_de_proveedor(numero: int, receptor: str = demo.DEMO_CR_CEDULA) -> bytes:
    """A factura a supplier signed for the demo company (its own test key), as received."""
    comprobante = ComprobanteIn.model_validate(
        {
            "tipo": "01",
            "receptor": {
                "nombre": demo.DEMO_CR_RAZON_SOCIAL,
                "identificacion": {"tipo": tipo_identificacion(receptor), "numero": receptor},
            },
            "medios_pago": [{"tipo": "04"}],
            "condicion_venta": "02",
            "plazo_credito": "30",
            "items": [
                {
                    "cabys": "2211100000000",
                    "cantidad": "10",
                    "unidad": "Unid",
                    "descripcion": "Resma de papel",
                    "precio_unitario": "3500",
                    "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
                }
            ],
        }
    )
    proveedor = Emisor.model_validate(PROVEEDOR_CR)
    certificado = generar_certificado_prueba(proveedor.identificacion.numero, "PROVEEDOR DE EJEMPLO")
    return emitir(comprobante, proveedor, certificado, numero=numero).xml


def _costa_rica(api: TestClient) -> str:
    parts = [CR_TEXT]
    form = f"grant_type=client_credentials&client_id={demo.DEMO_CR_CLIENT}&client_secret=demo-secret"
    token = api.post(
        "/v1/oauth2/token", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    recibida = _factura_de_proveedor(1)
    body = {
        "xml": base64.b64encode(recibida).decode("ascii"),
        "mensaje": 1,
        "condicion_impuesto": "01",
    }
    accepted = api.post("/v1/recepciones", json=body, params={"espera": 30}, headers=auth)
    parts.append(_http(None, accepted, _json({**body, "xml": _clip(body["xml"], 120)})))
    doc_id = accepted.json()["id"]
    parts.append(CR_XML_TEXT)
    signed = api.get(f"/v1/comprobantes/{doc_id}/xml", headers=auth)
    parts.append(_block("http", f"GET /v1/comprobantes/{doc_id}/xml\nAuthorization: Bearer …"))
    parts.append(_block("xml", _clip_base64(_pretty_xml(signed.content))))
    parts.append(CR_REJECT_TEXT)
    otra = _factura_de_proveedor(2)
    params = {"mensaje": "3", "detalle": "La mercadería no corresponde al pedido", "espera": "30"}
    rejected = api.post(
        "/v1/recepciones", content=otra, params=params, headers={**auth, "Content-Type": "application/xml"}
    )
    parts.append(_http(None, rejected, _clip(otra.decode("utf-8"), 600)))
    parts.append(CR_ERRORS_TEXT)
    again = {**body, "mensaje": 3, "detalle": "Cambio de opinión"}
    conflict = api.post("/v1/recepciones", json=again, headers=auth)
    parts.append(_http(None, conflict, _json({**again, "xml": _clip(again["xml"], 120)})))
    ajena = {"xml": base64.b64encode(_factura_de_proveedor(3, "3101555666")).decode("ascii"), "mensaje": 1}
    refused = api.post("/v1/recepciones", json=ajena, headers=auth)
    parts.append(_http(None, refused, _json({**ajena, "xml": _clip(ajena["xml"], 120)})))
    return "".join(parts)


HEADER = """# Guía de integración de OpenPSE

Esta guía explica, en el orden en que un ERP o un punto de venta lo necesita, cómo emitir
comprobantes electrónicos de SUNAT con OpenPSE: 1) autenticación y token, 2) generación y
firma, 3) envío, 4) consulta de estado y CDR; y para Costa Rica, 5) cómo responder a Hacienda
los comprobantes que los proveedores le envían a la empresa (mensaje receptor).

Cada ejemplo de esta página es una llamada real: `docs/generar_guia.py` levanta OpenPSE
con la empresa demo (RUC 20000000001) y el sandbox de SUNAT, hace las llamadas y copia aquí
los pedidos y las respuestas tal como ocurrieron (regenere con `make docs`). Los valores
Base64 largos se recortan al medio, indicando cuántos caracteres se omiten; los tokens se
muestran abreviados.

Convenciones de la API: campos en español y en snake_case; códigos de los catálogos de
SUNAT como texto (`"01"`, `"6"`, `"10"`); fechas ISO (`2026-11-21`) en hora de Lima; montos
como texto decimal (`"118.00"`), nunca como número de coma flotante.

"""

AUTH_TEXT = """## 1. Autenticación y token

`POST /v1/oauth2/token`, cuerpo `application/x-www-form-urlencoded`, igual que la API de
SUNAT. Hay dos grants: `client_credentials` (el cliente de API de un ERP) y `password`
(un usuario de la empresa). El token dura `expires_in` segundos y va en cada llamada como
`Authorization: Bearer <token>`. Cada cliente pertenece a una empresa y solo ve sus
comprobantes; el comprobante de otra empresa responde 404, igual que uno inexistente.

"""

SIGN_TEXT = """## 2. Generación y firma

`POST /v1/comprobantes` con `Content-Type: application/json`. OpenPSE valida el pedido con
las reglas de SUNAT, calcula cada total con aritmética decimal (valor de venta por línea,
IGV sobre la base del comprobante, precio unitario con IGV, leyenda del monto en letras),
construye el XML UBL 2.1 (versión 2.0 de SUNAT), lo firma con el certificado de la empresa
y lo guarda. Con `enviar=false` solo firma: el comprobante queda `registrado` hasta que se
pida su envío. Sin `numero`, OpenPSE asigna el siguiente de la serie.

Los ítems llevan `valor_unitario` (sin IGV) o `precio_unitario` (con IGV). En este ejemplo
la segunda línea se vende a 59.00 con IGV, y OpenPSE obtiene su valor sin IGV:

"""

SIGNED_XML_TEXT = """El `hash` de la respuesta es el `DigestValue` de la firma: el "valor resumen" que se
imprime en la representación impresa. El XML firmado de `{id}` (hash `{hash}`), con la
firma XMLDSig (RSA-SHA256, C14N) dentro de `ext:UBLExtensions`:

"""

ERRORS_TEXT = """### Errores de validación

Un pedido que SUNAT rechazaría se responde en el acto, sin guardar nada, con el código de
SUNAT en `codError` y el campo en `campo` (ruta JSON). Todos los problemas salen juntos. Los
`totales` que envía el ERP se comparan con los calculados con la tolerancia de SUNAT (±1):

"""

CONFLICT_TEXT = """### Reenvíos e idempotencia

Enviar otra vez el mismo comprobante (mismo número y contenido) devuelve el registrado con
200; otro contenido con un número ya usado es un 409. La cabecera opcional
`Idempotency-Key` sirve igual cuando el número lo asigna OpenPSE.

"""

XML_INPUT_TEXT = """### XML UBL propio

Un ERP que ya construye su UBL lo envía sin firmar con `Content-Type: application/xml`;
OpenPSE comprueba que el emisor sea la empresa del token, lo firma y sigue igual. Los DTD y
las entidades se rechazan con 400.

"""

SEND_TEXT = """## 3. Envío

Un comprobante con `enviar` (el valor por defecto) entra en la cola al registrarse; uno
solo firmado se envía con `POST /v1/comprobantes/{id}/envio` (que también reintenta uno
`fallido`). La respuesta es 202 y el envío sigue en segundo plano:

"""

SOAP_TEXT = """Lo que OpenPSE envía a SUNAT: `sendBill` con WS-Security (usuario = RUC + usuario SOL)
y el zip `{RUC}-{TT}-{SERIE}-{NUMERO}.zip` en Base64; SUNAT contesta con el CDR, también un
zip en Base64. Estos son los mensajes cruzados con el sandbox en esta ejecución (con
sangría para leerlos):

"""

ZIP_TEXT = """El zip enviado (`{name}`) contiene un único XML del mismo nombre; el CDR vuelve como
`R-{name}` con una carpeta `dummy/` y el XML de la constancia, tal como lo entrega SUNAT.

Estados por los que pasa un comprobante: `registrado` → `enviando` → `aceptado` |
`observado` (aceptado con observaciones 4000+) | `rechazado` (2000–3999). Si SUNAT no
contesta (tiempo agotado, conexión cortada, respuesta vacía) queda `desconocido` y OpenPSE
pregunta (`getStatusCdr`; en boletas reenvía los mismos bytes y SUNAT responde 1033 si ya
lo tenía) antes de volver a enviar. Una excepción de SUNAT (0100–1999) deja `error` y se
reintenta con espera creciente; agotados los intentos queda `fallido`.

"""

POS_TEXT = """### Punto de venta: esperar la respuesta

Con `espera=N` (0 a 60 segundos) la llamada espera la respuesta de SUNAT y devuelve 200
con el estado final, o 202 si aún no llegó. Una boleta con un ítem exonerado (`20`):

"""

STATUS_TEXT = """## 4. Consulta de estado y CDR

`GET /v1/comprobantes/{id}` devuelve el estado y la respuesta de la autoridad (código,
descripción, observaciones). También acepta `espera=N`:

"""

SIGN_ONLY_TEXT = """### Solo firmar

Si el ERP envía por su cuenta y solo necesita la firma, `POST /v1/firma` firma un XML UBL
(Invoice, CreditNote o DebitNote) con el certificado de la empresa y lo devuelve, sin
guardarlo ni enviarlo. El XML va y vuelve en Base64:

"""

NOTE_TEXT = """### Notas de crédito y débito

Una nota (`"07"` crédito, `"08"` débito) lleva el comprobante que modifica
(`documento_afectado`) y el motivo (catálogo 09 para crédito, 10 para débito). La serie
empieza como la del comprobante afectado (`F…` para facturas, `B…` para boletas). Una nota
de crédito por anulación de la factura anterior:

"""

SPECIAL_TEXT = """### Detracciones y venta itinerante

Una operación sujeta a detracción (catálogo 51: `1001` a `1004`) lleva `detraccion`: el bien
o servicio del catálogo 54, el porcentaje vigente y la cuenta del Banco de la Nación; OpenPSE
escribe el monto en soles y agrega la leyenda 2006. Según el tipo de operación, cada ítem
lleva además sus datos:

- `1002`, recursos hidrobiológicos (código `004`): `recursos_hidrobiologicos` con
  `matricula_embarcacion`, `nombre_embarcacion`, `especie`, `lugar_descarga`,
  `fecha_descarga` y `cantidad_especie` (toneladas); sin ellos SUNAT rechaza con 3063.
- `1004`, transporte de carga (código `027`): `transporte_carga` con `origen` y `destino`
  (`ubigeo` y `direccion`), `detalle_viaje` y los valores referenciales en soles del
  servicio, de la carga efectiva y de la carga útil (`valor_referencial_servicio`,
  `valor_referencial_carga_efectiva`, `valor_referencial_carga_util`); opcionales
  `configuracion_vehicular`, `carga_util` y `carga_efectiva` (toneladas). Sin ellos, 3116.

Otros tipos de operación piden datos por ítem (propiedades del catálogo 55):

- `0301`, carta de porte aéreo nacional: `carta_porte_aereo` con `origen` y `destino`
  (`ubigeo` y `direccion`) en cada ítem; sin ellos, 3168.
- `2100`, `2101`, `2102`, créditos: al menos un ítem con `credito` (`numero_contrato`,
  `fecha_otorgamiento`, `monto_capital`); sin él, 3241. `2103` no pide datos propios.
- `2104`, seguros: al menos un ítem con `seguro` (`tipo_seguro` 1, 2 o 3; `numero_poliza`,
  `vigencia_inicio`, `vigencia_fin`, `suma_asegurada`); sin él, 3242. Los tipos 1 y 2
  exigen póliza, vigencia y suma asegurada (2898); el 3, la póliza (2899).
- `2105`, comprobante de una AFP (solo boletas): al menos un ítem con `afp` (`cuspp`,
  `periodo` AAAA-MM, `interes_moratorio`); sin él, 2595.

Los tipos `0113` (NRUS), `0302` (transporte ferroviario) y `2106` (tax free) aún no se
emiten (PSE-0020).

Una venta itinerante indica dónde se entrega el bien con `venta_itinerante` (`direccion` y,
opcionales, `ubigeo`, `urbanizacion`, `provincia`, `departamento`, `distrito`); OpenPSE
agrega la leyenda 2005. Un flete al crédito sujeto a detracción, cuyas cuotas suman el total
menos la detracción:

"""

CUOTAS_TEXT = """### Nota de crédito de motivo 13: corregir las cuotas

La nota de crédito de motivo `13` corrige el monto pendiente, las fechas o las cuotas de
una factura al crédito. Su importe es cero (3315): los ítems van sin `valor_unitario`, y
`forma_pago` trae el crédito corregido (`monto_pendiente`, por defecto la suma de las
cuotas). Si la factura se emitió con OpenPSE, la nota se compara con ella como lo hace
SUNAT: la factura debe ser al crédito (3260), el pendiente no puede superar su importe
(3320, salvo envío por OSE) y cada cuota vence después de su emisión (3321). Para la factura
anterior, tres cuotas nuevas:

"""

VOID_TEXT = """### Anulación

`POST /v1/comprobantes/{id}/anulacion` anula un comprobante aceptado con el mecanismo de
SUNAT: comunicación de baja (RA) para facturas y sus notas, línea de estado 3 en un resumen
diario (RC) para boletas y sus notas, hasta 7 días después de la emisión (2957). El
comprobante queda `anulacion_pendiente` mientras SUNAT procesa el ticket, y `anulado` al
aceptarse; el documento que lo anula va en `anulacion`, con su XML y su CDR. La boleta
anterior:

"""

SUMMARY_TEXT = """### Boletas por resumen diario

Una empresa puede informar sus boletas, y las notas que las modifican (series `B…`), en
el resumen diario de SUNAT (RC, estado 1) en lugar de enviarlas una por una. Se activa al
crear la empresa (`"boletas_por_resumen": true` en `POST /v1/empresas`) o después:

"""

SUMMARY_WAIT_TEXT = """Desde entonces una boleta se valida, firma y guarda (`registrado`), pero no se envía
sola:

"""

SUMMARY_SEND_TEXT = """Un trabajo periódico (cada `OPENPSE_RESUMEN_INTERVAL_S`) reúne, por empresa y fecha de
emisión, las que esperan en resúmenes de hasta 500 líneas (`RC-AAAAMMDD-n`). Un día va
cuando termina (hora de Lima), dentro del plazo de SUNAT (un resumen con boletas de más de
7 días se observa, 4443); con `OPENPSE_RESUMEN_ESPERA_S` va también cuando la más antigua
esperó esos segundos. `POST /v1/resumenes` envía ya todo lo pendiente
(`GET /v1/resumenes/pendientes` lo lista):

"""

SUMMARY_ANSWER_TEXT = """Cada resumen es un comprobante más (`tipo` RC) y su respuesta pasa a cada boleta: la
boleta va `pendiente` mientras SUNAT procesa el ticket y luego `aceptado`/`observado`, o
`rechazado` con la respuesta del resumen; su CDR es el del resumen:

"""

SUMMARY_RULES_TEXT = """Una línea que SUNAT rechazaría sola (por ejemplo, una nota de una boleta que SUNAT no
tiene, 2989) no viaja: ese comprobante queda `fallido` con el motivo y el resto del día se
informa. Una nota va en el mismo resumen que su boleta o en uno posterior, ya aceptada la
boleta. Si la respuesta de un resumen se pierde y SUNAT ya lo había procesado (2223 al
reenviarlo), sus boletas van en un resumen nuevo, que SUNAT responde 2282 ("ya
informado"): quedan `aceptado`.

Una boleta que aún espera su resumen no se puede anular (409): SUNAT solo anula (línea de
estado 3) lo que un resumen anterior informó (2663), y un resumen no puede informar y
anular la misma boleta. Envíe el resumen y anúlela cuando esté `aceptado`.

"""

PDF_TEXT = """### Representación impresa

`GET /v1/comprobantes/{id}/pdf` devuelve la representación impresa en A4 (por defecto) o
en rollo de 80 mm (`formato=ticket`), con el código QR y el valor resumen que exige SUNAT.
Se genera desde el XML firmado y, si ya llegó, muestra la respuesta del CDR, el enlace de
consulta (`/consulta` de la instalación) y el logo de la empresa, que se carga una vez con
`PUT /v1/empresas/{ruc}/logo` (PNG o JPEG en Base64; se guarda como JPEG de hasta 800 px
sobre fondo blanco; `GET` lo devuelve y `DELETE` lo quita):

"""

LOGO_AFTER_TEXT = """Cada PDF se genera la primera vez que se pide y se guarda; si cambia el logo o llega el
CDR, la siguiente descarga se genera de nuevo. El PDF de la factura y el ticket de la boleta:

"""

CDR_TEXT = """El CDR (ApplicationResponse firmado por SUNAT) en XML (con sangría para leerlo; la descarga
trae los bytes originales, cuya firma verifica):

"""

CDR_ZIP_TEXT = """Y el zip original, tal como lo devolvió SUNAT (`formato=zip`):

"""

LIST_TEXT = """Listado con filtros (`tipo`, `serie`, `estado`, `desde`, `hasta`, `pagina`, `tamano`):

"""

CR_TEXT = """## 5. Costa Rica: responder un comprobante recibido (mensaje receptor)

Una empresa de Costa Rica (`pais` `CR`) que recibe una factura, nota de débito o nota de
crédito electrónica de un proveedor la acepta (`mensaje` 1), la acepta parcialmente (2) o la
rechaza (3) ante Hacienda con un MensajeReceptor. Con OpenPSE basta enviar el XML recibido a
`POST /v1/recepciones`: en JSON, en base64 en `xml`; o el XML tal cual como cuerpo
(`Content-Type: application/xml`) con los demás campos como parámetros de la URL.

OpenPSE verifica el XML antes de numerar nada: que sea un comprobante v4.4 cuya clave
contenga su consecutivo y la identificación de su emisor, que la firma sea válida (todos
los resúmenes y el valor RSA) y la haga un certificado del emisor, y que el receptor sea la
empresa. El mensaje toma del XML la clave, el proveedor, `MontoTotalImpuesto` y
`TotalFactura`; la petición indica `mensaje`, `detalle` (el motivo, recomendado en un
rechazo) y, para el IVA, `condicion_impuesto` (01 crédito general, 02 crédito parcial, 03
bienes de capital, 04 gasto corriente sin crédito, 05 proporcionalidad),
`monto_total_impuesto_acreditar` (por defecto todo el impuesto con 01 y 03; obligatorio con
02 y 05), `monto_total_gasto_aplicable` (por defecto el total con 04) y `codigo_actividad`.
El mensaje lleva su propio consecutivo: tipo 05 (aceptación), 06 (parcial) o 07 (rechazo),
con una numeración por sucursal, terminal y tipo (`sucursal`, `terminal`, `numero`
opcionales). Su `id` es `clave-consecutivoReceptor`, como lo identifica Hacienda, y desde
ahí se consulta como cualquier comprobante: `GET /v1/comprobantes/{id}`, `/xml`, `/cdr` (el
MensajeHacienda), webhooks. Las horas de una empresa de Costa Rica van en hora de Costa
Rica (`-06:00`).

"""
CR_XML_TEXT = """El MensajeReceptor firmado (XAdES-EPES con el rol `Receptor`), tal como se envió a
Hacienda con `consecutivoReceptor`:

"""
CR_REJECT_TEXT = """Un rechazo, con el XML recibido como cuerpo. El `estado` es el del mensaje ante
Hacienda: `aceptado` quiere decir que Hacienda registró el rechazo del comprobante (un
mensaje que Hacienda no admite queda `rechazado`, con su MensajeHacienda en `/cdr`):

"""
CR_ERRORS_TEXT = """Se responde una vez por comprobante: la misma petición de nuevo devuelve el mismo
mensaje (`200`); otra respuesta al mismo comprobante es `409`, salvo que la anterior haya
sido rechazada por Hacienda o haya fallado. Un XML que no está dirigido a la empresa
(`PSE-CR907`), cuya firma no es válida o no es del emisor (`PSE-CR908`), o que no se responde
con un mensaje receptor, como una factura de compra (`PSE-CR909`), es `422` y no consume
número:

"""
FOOTER = """## Referencia

- La especificación completa está en `/openapi.json` y en la documentación interactiva
  `/docs` de cada instalación.
- Códigos propios de OpenPSE (cuando SUNAT no tiene uno): `PSE-0001` JSON mal formado,
  `PSE-0002` campo inválido, `PSE-0003` tipo de contenido no soportado, `PSE-0004` cuerpo
  demasiado grande, `PSE-0005` XML con DTD o entidades, `PSE-0006` XML mal formado,
  `PSE-0010` sin autenticación, `PSE-0011` sin permiso, `PSE-0012` no existe, `PSE-0013`
  conflicto, `PSE-0020` no soportado aún, `PSE-0021` totales, `PSE-0022` empresa sin
  certificado, `PSE-0023` certificado inválido, `PSE-0024` datos de empresa inválidos,
  `PSE-0500` error interno, `PSE-0503` servicio no disponible.
"""


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"Guía generada: {Path(sys.argv[1]) if len(sys.argv) > 1 else OUT}")
