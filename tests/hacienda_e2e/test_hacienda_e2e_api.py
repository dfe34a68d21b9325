"""Costa Rica through the API (in-process) against the sandbox's Hacienda over loopback.

Every document type goes POST → aceptado; its XML holds against Hacienda's v4.4 XSD and
its signature against signxml's XAdES verifier; the MensajeHacienda is the /cdr; the
emulator received exactly those bytes under that clave. Numbering by branch and terminal,
idempotent re-posts, rejections with Hacienda's own words, and the ERP's own XML.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hacienda_e2e_support import (
    CR,
    TIPOS,
    api_client,
    certificate_pem,
    comprobante_xsd,
    cr_runtime,
    events,
    factura,
    item,
    local,
    payload,
    sandbox_app,
    verify_signature,
    xsd_errors,
)
from lxml import etree
from starlette.testclient import TestClient

from openpse import demo
from openpse.api.app import create_app
from openpse.authorities.hacienda import ComprobanteIn, v44
from openpse.authorities.hacienda.clave import asignar
from openpse.authorities.hacienda.perfil import generar_certificado_prueba, validar_emisor
from openpse.authorities.hacienda.totals import calcular
from openpse.jobs.queue import JobQueue
from openpse.storage.tables import Empresa
from openpse.tenants import set_certificate

Api = tuple[TestClient, dict[str, str]]


def _post(api: Api, body: dict[str, Any], **params: Any) -> Any:
    client, auth = api
    return client.post("/v1/comprobantes", json=body, headers=auth, params=params)


def _accepted_factura(api: Api) -> dict[str, Any]:
    doc = _post(api, factura(), espera=30).json()
    assert doc["estado"] == "aceptado", doc
    return doc


def _referido(api: Api, doc: dict[str, Any]) -> tuple[str, str]:
    client, auth = api
    xml = client.get(doc["enlaces"]["xml"], headers=auth).content
    fecha = local(etree.fromstring(xml), "FechaEmision")
    assert fecha is not None
    return doc["id"], fecha


@pytest.mark.parametrize("tipo", TIPOS)
def test_every_document_type_is_accepted_with_valid_xml_and_signatures(
    cr_api: Api, runtime: Any, hacienda: Any, tipo: str
) -> None:
    client, auth = cr_api
    referido = _referido(cr_api, _accepted_factura(cr_api)) if tipo in ("02", "03", "10") else None

    response = _post(cr_api, payload(tipo, referido), espera=30)

    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["estado"] == "aceptado", doc
    clave = doc["id"]
    assert re.fullmatch(r"506\d{47}", clave)
    assert doc["empresa"] == demo.DEMO_CR_CEDULA
    assert doc["tipo"] == tipo
    assert doc["serie"] == "00100001"
    assert clave[21:41] == f"00100001{tipo}{doc['numero']:010d}"
    assert doc["respuesta"]["codigo"] == "1"
    assert "ambiente de pruebas" in doc["respuesta"]["descripcion"]

    assert client.get(f"/v1/comprobantes/{clave}", headers=auth).json() == doc
    xml = client.get(f"/v1/comprobantes/{clave}/xml", headers=auth)
    assert xml.status_code == 200
    assert xsd_errors(xml.content, comprobante_xsd(tipo)) == []
    verify_signature(xml.content, certificate_pem(runtime))
    root = etree.fromstring(xml.content)
    assert local(root, "Clave") == clave
    assert local(root, "NumeroConsecutivo") == clave[21:41]
    assert local(root.find("{*}ResumenFactura"), "TotalComprobante") == doc["totales"]["total"]

    cdr = client.get(f"/v1/comprobantes/{clave}/cdr", headers=auth)
    assert cdr.status_code == 200
    assert xsd_errors(cdr.content, "MensajeHacienda_V4.4.xsd") == []
    mensaje = etree.fromstring(cdr.content)
    assert (local(mensaje, "Clave"), local(mensaje, "Mensaje"), local(mensaje, "EstadoMensaje")) == (
        clave,
        "1",
        "Aceptado",
    )
    verify_signature_of_hacienda(cdr.content, hacienda.certificate_pem)

    # What Hacienda holds is this clave, with exactly the bytes OpenPSE signed and stored.
    record = hacienda.record(clave)
    assert record is not None
    assert record.final_state == "aceptado"
    assert record.xml == xml.content
    assert [estado for estado, _ in events(runtime, clave)] == [
        "registrado",
        "enviando",
        "pendiente",
        "aceptado",
    ]


def verify_signature_of_hacienda(xml: bytes, certificate_pem: bytes) -> None:
    """The MensajeHacienda is signed by the emulator's key (checked with signxml)."""
    from signxml import XMLVerifier

    result = XMLVerifier().verify(xml, x509_cert=certificate_pem, expect_references=3)
    assert len(result) == 3


def test_numbers_follow_each_branch_terminal_and_type(cr_api: Api) -> None:
    docs = [_post(cr_api, factura(), enviar="false").json() for _ in range(2)]
    otra = _post(cr_api, factura(sucursal=2, terminal=3), enviar="false").json()
    tiquete = _post(cr_api, payload("04"), enviar="false").json()
    explicita = _post(cr_api, factura(numero=10), enviar="false").json()
    siguiente = _post(cr_api, factura(), enviar="false").json()

    assert [(d["serie"], d["numero"]) for d in docs] == [("00100001", 1), ("00100001", 2)]
    assert (otra["serie"], otra["numero"]) == ("00200003", 1)
    assert otra["id"][21:41] == "00200003010000000001"
    assert (tiquete["serie"], tiquete["numero"]) == ("00100001", 1)
    assert tiquete["id"][21:41] == "00100001040000000001"
    assert explicita["numero"] == 10
    assert siguiente["numero"] == 11, "an explicit number moves the counter past it"
    assert len({d["id"] for d in (*docs, otra, tiquete, explicita, siguiente)}) == 6
    for doc in (*docs, otra, tiquete, explicita, siguiente):
        assert doc["estado"] == "registrado"
        # Clave: 506, the date in Costa Rica, the cédula padded to 12, the consecutivo,
        # situación 1 and eight random digits.
        assert doc["id"][9:21] == demo.DEMO_CR_CEDULA.zfill(12)
        assert doc["id"][41] == "1"


def test_the_same_request_again_returns_the_same_document(cr_api: Api, hacienda: Any) -> None:
    body = factura(numero=5)
    first = _post(cr_api, body, espera=30)
    again = _post(cr_api, body)
    other = _post(cr_api, factura(numero=5, items=[item("999")]))
    keyed = _post(cr_api, factura(), enviar="false").json()
    client, auth = cr_api
    repeated = client.post(
        "/v1/comprobantes",
        json=factura(),
        headers={**auth, "Idempotency-Key": "pos-7-1"},
        params={"enviar": "false"},
    )
    repeated_again = client.post(
        "/v1/comprobantes",
        json=factura(),
        headers={**auth, "Idempotency-Key": "pos-7-1"},
        params={"enviar": "false"},
    )

    assert first.status_code == 200
    assert first.json()["estado"] == "aceptado"
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert other.json()["errors"][0]["campo"] == "numero"
    assert keyed["numero"] == 6
    assert repeated.status_code == 202
    assert repeated_again.status_code == 200
    assert repeated_again.json()["id"] == repeated.json()["id"]
    # Hacienda received the factura once.
    assert [r.clave for r in hacienda.records()] == [first.json()["id"]]


def test_a_request_hacienda_would_refuse_is_answered_422_with_the_field(cr_api: Api) -> None:
    body = factura(items=[item(cabys=None)], condicion_venta="02")
    response = _post(cr_api, body)
    assert response.status_code == 422
    errors = {(e["codError"], e["campo"]) for e in response.json()["errors"]}
    assert ("PSE-CR004", "items[0].cabys") in errors
    assert ("PSE-CR303", "plazo_credito") in errors


@pytest.mark.parametrize(
    ("why", "hacienda_message"),
    [
        ("extemporaneo", "-16"),
        ("firmante", "no es el emisor"),
    ],
)
def test_rejection_carries_haciendas_message(
    tmp_path: Any, cert_dir: Any, live: Any, why: str, hacienda_message: str
) -> None:
    sandbox = live(sandbox_app(cert_dir, max_age_s=3 * 86400))
    runtime = cr_runtime(tmp_path / "data", sandbox.url)
    JobQueue(runtime)
    body = factura()
    if why == "extemporaneo":
        body["fecha_emision"] = (
            (dt.datetime.now(CR) - dt.timedelta(days=5)).replace(microsecond=0).isoformat()
        )
    else:
        with runtime.db.session() as session:
            empresa = session.query(Empresa).filter_by(identificacion=demo.DEMO_CR_CEDULA).one()
            set_certificate(
                empresa, runtime.box, generar_certificado_prueba("3101999999", "OTRA EMPRESA S.A.")
            )
    try:
        with api_client(create_app(runtime, start_workers=2)) as api:
            doc = _post(api, body, espera=30).json()
            assert doc["estado"] == "rechazado", doc
            assert doc["respuesta"]["codigo"] == "3"
            assert hacienda_message in doc["respuesta"]["descripcion"]
            client, auth = api
            mensaje = etree.fromstring(client.get(f"/v1/comprobantes/{doc['id']}/cdr", headers=auth).content)
            assert local(mensaje, "Mensaje") == "3"
            assert hacienda_message in (local(mensaje, "DetalleMensaje") or "")
            record = sandbox.app.state.sandbox.hacienda.record(doc["id"])
            assert record.final_state == "rechazado"
    finally:
        runtime.close()


def _unsigned_xml(numero: int, seguridad: str = "87654321") -> tuple[bytes, str]:
    """A factura as an ERP would build it: clave, consecutivo and every amount, unsigned."""
    from openpse.authorities.hacienda.perfil import validar_emisor as emisor_de

    emisor = emisor_de(demo.DEMO_CR_CEDULA, demo.DEMO_CR_RAZON_SOCIAL, "DEMO CR", demo.DEMO_CR_DIRECCION)
    modelo = ComprobanteIn.model_validate(factura())
    ahora = dt.datetime.now(CR).replace(microsecond=0)
    numeracion = asignar(demo.DEMO_CR_CEDULA, 1, 1, "01", numero, ahora, "1", seguridad)
    documento = v44.construir(
        modelo,
        emisor,
        calcular(modelo),
        v44.Encabezado(numeracion.clave, numeracion.consecutivo, ahora, demo.DEMO_CR_CEDULA, "721001", None),
    )
    return f"{documento.before}{documento.after}".encode(), numeracion.clave


def test_the_erps_own_xml_is_signed_sent_and_accepted(cr_api: Api, runtime: Any, hacienda: Any) -> None:
    xml, clave = _unsigned_xml(77)
    client, auth = cr_api
    headers = {**auth, "Content-Type": "application/xml"}

    posted = client.post("/v1/comprobantes", content=xml, headers=headers, params={"espera": 30})
    again = client.post("/v1/comprobantes", content=xml, headers=headers)

    assert posted.status_code == 200, posted.text
    doc = posted.json()
    assert (doc["id"], doc["serie"], doc["numero"], doc["estado"]) == (clave, "00100001", 77, "aceptado")
    assert doc["totales"]["total"] == "1979.19500"
    assert again.status_code == 200
    assert again.json()["id"] == clave
    signed = client.get(f"/v1/comprobantes/{clave}/xml", headers=auth).content
    assert xsd_errors(signed, comprobante_xsd("01")) == []
    verify_signature(signed, certificate_pem(runtime))
    assert hacienda.record(clave).xml == signed


def test_an_erps_xml_with_another_companys_clave_is_refused(cr_api: Api) -> None:
    xml, clave = _unsigned_xml(78)
    forged = xml.replace(clave.encode(), (clave[:9] + "000310199999" + clave[21:]).encode())
    client, auth = cr_api
    response = client.post(
        "/v1/comprobantes", content=forged, headers={**auth, "Content-Type": "application/xml"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["codError"] == "PSE-CR906"


def test_post_firma_signs_a_v44_document_without_storing_it(cr_api: Api, runtime: Any) -> None:
    import base64

    xml, _ = _unsigned_xml(79)
    client, auth = cr_api
    response = client.post("/v1/firma", json={"xml": base64.b64encode(xml).decode()}, headers=auth)
    assert response.status_code == 200, response.text
    signed = base64.b64decode(response.json()["xml"])
    verify_signature(signed, certificate_pem(runtime))
    assert client.get("/v1/comprobantes", headers=auth).json()["total"] == 0


def test_the_company_profile_is_the_emisor_block(cr_api: Api) -> None:
    doc = _post(cr_api, factura(), enviar="false").json()
    client, auth = cr_api
    root = etree.fromstring(client.get(f"/v1/comprobantes/{doc['id']}/xml", headers=auth).content)
    emisor = root.find("{*}Emisor")
    assert emisor is not None
    assert local(emisor, "Nombre") == demo.DEMO_CR_RAZON_SOCIAL
    assert local(emisor, "CorreoElectronico") == demo.DEMO_CR_DIRECCION["correo"]
    assert local(root, "CodigoActividadEmisor") == demo.DEMO_CR_DIRECCION["codigo_actividad"]
    assert (
        validar_emisor(
            demo.DEMO_CR_CEDULA, demo.DEMO_CR_RAZON_SOCIAL, "DEMO CR", demo.DEMO_CR_DIRECCION
        ).identificacion.tipo
        == "02"
    )


def test_the_pdf_carries_the_companys_logo_and_sends_to_hacienda_to_consult(cr_api):
    import base64
    import io

    from PIL import Image
    from pypdf import PdfReader

    client, auth = cr_api
    doc = _accepted_factura(cr_api)
    picture = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 60, 160)).save(picture, "JPEG")
    logo = client.put(
        f"/v1/empresas/{demo.DEMO_CR_CEDULA}/logo",
        headers=auth,
        json={"imagen": base64.b64encode(picture.getvalue()).decode()},
    )
    assert logo.status_code == 200, logo.text
    pdf = client.get(doc["enlaces"]["pdf"], headers=auth)
    assert pdf.status_code == 200
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert (300, 100) in [image.image.size for image in page.images]
    text = page.extract_text().replace("\n", " ")
    # /consulta finds Peruvian documents only: a Costa Rican one points to Hacienda.
    assert "Consulte este comprobante con su clave numérica en el Ministerio de Hacienda" in text
    assert "/consulta" not in text
