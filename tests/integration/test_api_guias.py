"""Guías de remisión through the API: built, signed, sent to SUNAT's GRE REST platform (the
sandbox), followed by ticket to aceptado with the CDR."""

from __future__ import annotations

from typing import Any

from lxml import etree

from openpse import demo
from openpse.core.timeutil import now_lima


def _guia(**kw: Any) -> dict[str, Any]:
    hoy = now_lima().date().isoformat()
    body: dict[str, Any] = {
        "tipo": "09",
        "serie": "T001",
        "destinatario": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "FERRETERIA EL CLAVO S.A.C.",
        },
        "motivo_traslado": "01",
        "modalidad_traslado": "02",
        "fecha_inicio_traslado": hoy,
        "peso_bruto_total": "4250.500",
        "unidad_peso": "KGM",
        "partida": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Cercado de Lima"},
        "llegada": {"ubigeo": "150122", "direccion": "Calle Los Pinos 456, Miraflores"},
        "vehiculos": [{"placa": "ABC123"}],
        "conductores": [
            {
                "tipo_documento": "1",
                "numero_documento": "46027897",
                "nombres": "JUAN CARLOS",
                "apellidos": "PEREZ ROJAS",
                "licencia": "Q46027897",
            }
        ],
        "documentos_relacionados": [{"tipo": "01", "numero": "F001-1520", "ruc_emisor": demo.DEMO_RUC}],
        "bienes": [
            {
                "descripcion": "Cemento Portland tipo I bolsa 42.5 kg",
                "cantidad": "100",
                "unidad": "NIU",
                "codigo": "CEM-001",
                "codigo_producto_sunat": "30111601",
            }
        ],
    }
    body.update(kw)
    return body


def test_guia_remitente_goes_by_the_gre_platform_to_aceptado(api, auth, post_document):
    response = post_document(_guia(), espera=30)
    body = response.json()
    assert body["estado"] == "aceptado", body
    assert body["id"] == "20000000001-09-T001-1", "numbered automatically"
    assert body["ticket"], "the GRE platform answers with a ticket"
    assert body["totales"] == {"peso_bruto_total": "4250.500", "unidad_peso": "KGM"}
    xml = api.get(body["enlaces"]["xml"], headers=auth).content
    root = etree.fromstring(xml)
    assert etree.QName(root).localname == "DespatchAdvice"
    cdr = api.get(body["enlaces"]["cdr"], headers=auth)
    assert cdr.status_code == 200
    assert b"ResponseCode" in cdr.content


def test_guia_rules_answer_with_sunat_codes(post_document):
    response = post_document(_guia(motivo_traslado="99"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["campo"].startswith("motivo_traslado")


def test_the_same_guia_posted_again_is_the_same_document(post_document):
    first = post_document(_guia(numero=7), espera=30).json()
    again = post_document(_guia(numero=7))
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
