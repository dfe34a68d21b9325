"""Tenant isolation: every route of the application, attacked with another company's credentials.

The list of routes comes from the application itself, so a route added without a case
here fails ``test_every_route_has_an_isolation_case``. Each case names what the attacker
tries (the victim's real ids, ids guessed from the victim's numbering, a RUC, a client
id) and what it must get: 404 exactly as for something that does not exist (API.md: "404
unknown, also for another tenant's document"), 403 for administrator-only operations.
After every case the victim's company, certificate, clients, tokens and documents are
checked to be as they were.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from lxml import etree
from security_support import ATTACKER_RUC, World
from starlette.testclient import TestClient

from openpse import demo
from tests_support import factura

DS = "{http://www.w3.org/2000/09/xmldsig#}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


@dataclass(frozen=True)
class Attempt:
    method: str
    url: str
    expect: frozenset[int]
    headers: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)
    client: str = "api"
    """api: bearer calls; portal: the attacker's portal session; anonimo: no credentials at all."""


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3, 2), (0, 90, 0)).save(out, "PNG")
    return out.getvalue()


def _a(
    method: str, url: str, expect: int | set[int], headers: dict[str, str] | None = None, **kw: Any
) -> Attempt:
    codes = frozenset({expect} if isinstance(expect, int) else expect)
    return Attempt(method, url, codes, headers or {}, kw)


class Ctx:
    """What a case can use: the world, the attacker's portal session, the victim's files."""

    def __init__(self, world: World, client: TestClient, portal_csrf: str) -> None:
        self.w = world
        self.client = client
        self.portal_csrf = portal_csrf

    @property
    def doc_ids(self) -> list[str]:
        """The victim's real documents and ones guessed from its numbering."""
        ruc = self.w.victim_ruc
        return [self.w.accepted_id, self.w.signed_only_id, f"{ruc}-01-F001-3", f"{ruc}-03-B001-1"]

    def unsigned_victim_xml(self) -> bytes:
        signed = self.client.get(f"/v1/comprobantes/{self.w.accepted_id}/xml", headers=self.w.victim).content
        root = etree.fromstring(signed)
        signature = root.find(f".//{DS}Signature")
        signature.getparent().remove(signature)
        root.find(f"{CBC}ID").text = "F001-77"
        return etree.tostring(root)


Case = Callable[[Ctx], list[Attempt]]


def _doc_routes(suffix: str, method: str = "GET", **kw: Any) -> Case:
    def case(ctx: Ctx) -> list[Attempt]:
        return [_a(method, f"/v1/comprobantes/{d}{suffix}", 404, ctx.w.attacker, **kw) for d in ctx.doc_ids]

    return case


def _ruc_routes(suffix: str, method: str, **kw: Any) -> Case:
    def case(ctx: Ctx) -> list[Attempt]:
        rucs = [ctx.w.victim_ruc, "20100113610"]  # the victim's, and a valid RUC nobody registered
        return [_a(method, f"/v1/empresas/{r}{suffix}", 404, ctx.w.attacker, **kw) for r in rucs]

    return case


def _public(expect: int = 200, client: str = "anonimo", **kw: Any) -> Callable[[str, str], Case]:
    def bind(method: str, path: str) -> Case:
        def case(_ctx: Ctx) -> list[Attempt]:
            return [Attempt(method, path, frozenset({expect}), {}, kw, client)]

        return case

    return bind


def _admin_only(method: str, path: str, **kw: Any) -> Case:
    def case(ctx: Ctx) -> list[Attempt]:
        return [_a(method, path, 403, ctx.w.attacker, **kw), _a(method, path, 403, ctx.w.victim_user, **kw)]

    return case


def _token(ctx: Ctx) -> list[Attempt]:
    # The attacker's client with the victim's user and its real password: the user is not
    # the client's company's, so no token.
    form = {
        "grant_type": "password",
        "client_id": ctx.w.attacker_client_id,
        "client_secret": ctx.w.attacker_client_secret,
        "username": demo.DEMO_USER,
        "password": "demo-secret",
    }
    return [_a("POST", "/v1/oauth2/token", 400, data=form)]


def _revoke(ctx: Ctx) -> list[Attempt]:
    victim_token = ctx.w.victim["Authorization"].removeprefix("Bearer ")
    form = {
        "token": victim_token,
        "client_id": ctx.w.attacker_client_id,
        "client_secret": ctx.w.attacker_client_secret,
    }
    return [_a("POST", "/v1/oauth2/revoke", 400, data=form)]


def _post_document(ctx: Ctx) -> list[Attempt]:
    key = {"Idempotency-Key": "clave-compartida-1"}
    # The victim posts first; the attacker's identical request (same number, same key) must
    # create the attacker's own document, never answer with the victim's.
    first = ctx.client.post("/v1/comprobantes", json=factura(numero=9), headers={**ctx.w.victim, **key})
    assert first.status_code == 202, first.text
    xml = ctx.unsigned_victim_xml()
    return [
        _a(
            "POST",
            "/v1/comprobantes",
            202,
            {**ctx.w.attacker, **key},
            json=factura(numero=9),
            params={"enviar": "false"},
        ),
        _a(
            "POST",
            "/v1/comprobantes",
            {400, 422},
            {**ctx.w.attacker, "Content-Type": "application/xml"},
            content=xml,
            params={"enviar": "false"},
        ),
    ]


def _list_documents(ctx: Ctx) -> list[Attempt]:
    return [
        _a("GET", "/v1/comprobantes", 200, ctx.w.attacker, params=params)
        for params in ({}, {"serie": "F001"}, {"tipo": "01", "estado": "aceptado"})
    ]


def _firma(ctx: Ctx) -> list[Attempt]:
    xml = base64.b64encode(ctx.unsigned_victim_xml()).decode()
    return [_a("POST", "/v1/firma", {400, 422}, ctx.w.attacker, json={"xml": xml})]


def _portal_docs(suffix: str, method: str = "GET", form: bool = False) -> Case:
    def case(ctx: Ctx) -> list[Attempt]:
        kw: dict[str, Any] = {"data": {"csrf": ctx.portal_csrf, "motivo": "ANULACION"}} if form else {}
        return [
            Attempt(method, f"/portal/comprobantes/{d}{suffix}", frozenset({404}), {}, kw, "portal")
            for d in ctx.doc_ids
        ]

    return case


def _consulta_docs(suffix: str) -> Case:
    def case(ctx: Ctx) -> list[Attempt]:
        # No consultation grant for these documents: the customer lookup must be done first.
        return [
            Attempt("GET", f"/consulta/{d}{suffix}", frozenset({404}), {}, {}, "anonimo") for d in ctx.doc_ids
        ]

    return case


def _consulta_post(ctx: Ctx) -> list[Attempt]:
    # Every field right but the total: no grant, no document.
    form = {
        "ruc": ctx.w.victim_ruc,
        "tipo": "01",
        "serie": "F001",
        "numero": "1",
        "fecha": "2000-01-01",
        "total": "999.99",
    }
    return [Attempt("POST", "/consulta", frozenset({400, 403, 404, 422}), {}, {"data": form}, "anonimo")]


def _soap(username: str, password: str, operation: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ser="http://service.sunat.gob.pe" '
        'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        f"<soapenv:Header><wsse:Security><wsse:UsernameToken><wsse:Username>{username}</wsse:Username>"
        f"<wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>"
        f"<soapenv:Body>{operation}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def _gateway(ctx: Ctx) -> list[Attempt]:
    """The SOAP gateway: the attacker's user under the victim's RUC, the victim's user under
    the attacker's, and the attacker sending a file in the victim's name: all refused."""
    status = "<ser:getStatus><ticket>1</ticket></ser:getStatus>"
    zip_name = f"{ctx.w.victim_ruc}-01-F001-1.zip"
    empty_zip = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="
    bill = (
        f"<ser:sendBill><fileName>{zip_name}</fileName><contentFile>{empty_zip}</contentFile></ser:sendBill>"
    )
    headers = {"Content-Type": "text/xml"}
    return [
        Attempt("POST", "/ol-ti-itcpe/billService", frozenset({500}), headers, {"content": body}, "anonimo")
        for body in (
            _soap(f"{ctx.w.victim_ruc}atacante", "atacante-123", status),
            _soap(f"{ATTACKER_RUC}{demo.DEMO_USER}", "demo-secret", status),
            _soap(f"{ATTACKER_RUC}atacante", "atacante-123", bill),
        )
    ]


def _hacienda_callback(ctx: Ctx) -> list[Attempt]:
    """A guessed token, with the JSON Hacienda sends, for a clave the attacker made up."""
    body = {"clave": "5" * 50, "fecha": "2026-11-21T10:00:00-06:00", "ind-estado": "aceptado"}
    url = "/v1/hacienda/callback/00000000000000000000000000000000"
    return [
        Attempt("POST", url, frozenset({404}), {}, {"json": body}, "anonimo"),
        Attempt("POST", url, frozenset({400}), {}, {}, "anonimo"),
    ]


_TINY_PNG = base64.b64encode(_tiny_png()).decode()
"""A valid PNG, other than the victim's: the attacker's logo would be stored if the route let it through."""

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/ol-ti-itcpe/billService"): _gateway,
    ("PUT", "/v1/empresas/{ruc}/notificaciones"): _ruc_routes(
        "/notificaciones", "PUT", json={"webhook_url": "https://atacante.example/hook"}
    ),
    ("POST", "/v1/empresas/{ruc}/notificaciones/secreto"): _ruc_routes("/notificaciones/secreto", "POST"),
    ("PUT", "/v1/empresas/{ruc}/logo"): _ruc_routes("/logo", "PUT", json={"imagen": _TINY_PNG}),
    ("GET", "/v1/empresas/{ruc}/logo"): _ruc_routes("/logo", "GET"),
    ("DELETE", "/v1/empresas/{ruc}/logo"): _ruc_routes("/logo", "DELETE"),
    ("GET", "/v1/comprobantes/{doc_id}/notificaciones"): _doc_routes("/notificaciones"),
    # Hacienda's callback authenticates by its token: a guessed one changes nothing.
    ("POST", "/v1/hacienda/callback/{token}"): _hacienda_callback,
    ("GET", "/ol-ti-itcpe/billService"): _public()("GET", "/ol-ti-itcpe/billService?wsdl"),
    ("GET", "/portal/{rest:path}"): _public(404)("GET", f"/portal/{ATTACKER_RUC}/comprobantes"),
    ("GET", "/consulta/{rest:path}"): _public(404)("GET", "/consulta/x/y/z"),
    # Public: nothing of a tenant in them.
    ("GET", "/openapi.json"): _public()("GET", "/openapi.json"),
    ("GET", "/docs"): _public()("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"): _public()("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"): _public()("GET", "/redoc"),
    ("GET", "/health"): _public()("GET", "/health"),
    ("GET", "/ready"): _public()("GET", "/ready"),
    ("GET", "/metrics"): _public()("GET", "/metrics"),
    ("GET", "/portal/static/{name}"): _public(404)("GET", "/portal/static/..%2F..%2Fsettings.py"),
    ("GET", "/portal/ingresar"): _public()("GET", "/portal/ingresar"),
    ("POST", "/portal/ingresar"): _public(403)("POST", "/portal/ingresar"),
    ("POST", "/portal/salir"): _public(303, follow_redirects=False)("POST", "/portal/salir"),
    ("GET", "/consulta"): _public()("GET", "/consulta"),
    # OAuth2.
    ("POST", "/v1/oauth2/token"): _token,
    ("POST", "/v1/oauth2/revoke"): _revoke,
    # Administrator only.
    ("POST", "/v1/empresas"): lambda ctx: _admin_only(
        "POST", "/v1/empresas", json={"ruc": "20100113610", "razon_social": "X S.A.C."}
    )(ctx),
    ("GET", "/v1/auditoria"): lambda ctx: _admin_only(
        "GET", "/v1/auditoria", params={"empresa": ctx.w.victim_ruc}
    )(ctx),
    # The victim's company, by RUC.
    ("GET", "/v1/empresas/{ruc}"): _ruc_routes("", "GET"),
    ("PATCH", "/v1/empresas/{ruc}"): _ruc_routes("", "PATCH", json={"boletas_por_resumen": True}),
    ("PUT", "/v1/empresas/{ruc}/certificado"): _ruc_routes(
        "/certificado", "PUT", json={"pfx": "AA==", "clave": "x"}
    ),
    ("POST", "/v1/empresas/{ruc}/clientes"): _ruc_routes("/clientes", "POST"),
    ("GET", "/v1/empresas/{ruc}/clientes"): _ruc_routes("/clientes", "GET"),
    ("DELETE", "/v1/empresas/{ruc}/clientes/{client_id}"): _ruc_routes(
        f"/clientes/{demo.DEMO_CLIENT}", "DELETE"
    ),
    ("POST", "/v1/empresas/{ruc}/usuarios"): _ruc_routes(
        "/usuarios", "POST", json={"username": "intruso", "password": "intruso-123"}
    ),
    # The victim's documents, by real and guessed id.
    ("POST", "/v1/comprobantes"): _post_document,
    ("GET", "/v1/comprobantes"): _list_documents,
    ("GET", "/v1/comprobantes/{doc_id}"): _doc_routes(""),
    ("GET", "/v1/comprobantes/{doc_id}/xml"): _doc_routes("/xml"),
    ("GET", "/v1/comprobantes/{doc_id}/cdr"): _doc_routes("/cdr"),
    ("GET", "/v1/comprobantes/{doc_id}/pdf"): _doc_routes("/pdf"),
    ("POST", "/v1/comprobantes/{doc_id}/envio"): _doc_routes("/envio", "POST"),
    ("POST", "/v1/comprobantes/{doc_id}/anulacion"): _doc_routes(
        "/anulacion", "POST", json={"motivo": "ERROR"}
    ),
    ("POST", "/v1/firma"): _firma,
    # Daily summaries act on the caller's own company only (nothing pending there).
    ("POST", "/v1/resumenes"): lambda ctx: [_a("POST", "/v1/resumenes", 200, ctx.w.attacker)],
    # Answering a received document is for Costa Rican companies; the attacker's (Peruvian)
    # token with the victim's XML gets the same refusal as with any other.
    ("POST", "/v1/recepciones"): lambda ctx: [
        _a(
            "POST",
            "/v1/recepciones",
            422,
            ctx.w.attacker,
            json={"xml": base64.b64encode(ctx.unsigned_victim_xml()).decode(), "mensaje": 1},
        )
    ],
    ("GET", "/v1/resumenes/pendientes"): lambda ctx: [
        _a("GET", "/v1/resumenes/pendientes", 200, ctx.w.attacker)
    ],
    # The portal, with the attacker company's user signed in.
    ("GET", "/portal"): lambda ctx: [Attempt("GET", "/portal", frozenset({200}), {}, {}, "portal")],
    ("GET", "/portal/comprobantes/{doc_id}"): _portal_docs(""),
    ("GET", "/portal/comprobantes/{doc_id}/archivos/{archivo}"): lambda ctx: [
        a for archivo in ("xml", "cdr", "pdf") for a in _portal_docs(f"/archivos/{archivo}")(ctx)
    ],
    ("POST", "/portal/comprobantes/{doc_id}/reenvio"): _portal_docs("/reenvio", "POST", form=True),
    ("POST", "/portal/comprobantes/{doc_id}/anulacion"): _portal_docs("/anulacion", "POST", form=True),
    # The customers' lookup, without having looked the document up.
    ("POST", "/consulta"): _consulta_post,
    ("GET", "/consulta/{doc_id}"): _consulta_docs(""),
    ("GET", "/consulta/{doc_id}/{archivo}"): lambda ctx: [
        a for archivo in ("xml", "cdr", "pdf") for a in _consulta_docs(f"/{archivo}")(ctx)
    ],
}


def _routes(client: TestClient) -> set[tuple[str, str]]:
    return {
        (method, context.path)
        for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        for method in (getattr(context, "methods", None) or set())
        if method != "HEAD"
    }


def test_every_route_has_an_isolation_case(world_client):
    routes = _routes(world_client)
    assert routes - set(CASES) == set(), "rutas sin caso de aislamiento entre empresas"
    assert set(CASES) - routes == set(), "casos de rutas que ya no existen"


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def attacker_portal(world_client, world) -> tuple[TestClient, str]:
    """A separate client (own cookie jar) signed in to the portal as a user of the attacker."""
    created = world_client.post(
        f"/v1/empresas/{ATTACKER_RUC}/usuarios",
        headers=world.attacker,
        json={"username": "atacante", "password": "atacante-123"},
    )
    assert created.status_code == 201, created.text
    portal = TestClient(world_client.app, raise_server_exceptions=False)
    form = portal.get("/portal/ingresar")
    csrf = _CSRF.search(form.text).group(1)
    login = portal.post(
        "/portal/ingresar",
        data={"usuario": "atacante", "clave": "atacante-123", "csrf": csrf},
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text
    home = portal.get("/portal")
    assert home.status_code == 200
    return portal, _CSRF.search(home.text).group(1)


def _victim_snapshot(client: TestClient, world: World) -> dict[str, Any]:
    company = client.get(f"/v1/empresas/{world.victim_ruc}", headers=world.victim)
    assert company.status_code == 200, "el token de la víctima dejó de valer"
    clients = client.get(f"/v1/empresas/{world.victim_ruc}/clientes", headers=world.victim).json()
    docs = {
        d: client.get(f"/v1/comprobantes/{d}", headers=world.victim).json()["estado"]
        for d in (world.accepted_id, world.signed_only_id)
    }
    logo = client.get(f"/v1/empresas/{world.victim_ruc}/logo", headers=world.victim)
    assert logo.status_code == 200, "el logo de la víctima desapareció"
    return {"empresa": company.json(), "clientes": clients, "estados": docs, "logo": logo.content}


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_company_cannot_reach_the_victims_data(route, world_client, world, attacker_portal):
    portal, portal_csrf = attacker_portal
    ctx = Ctx(world, world_client, portal_csrf)
    before = _victim_snapshot(world_client, world)
    clients = {"api": world_client, "portal": portal, "anonimo": TestClient(world_client.app)}
    for attempt in CASES[route](ctx):
        client = clients[attempt.client]
        response = client.request(attempt.method, attempt.url, headers=attempt.headers, **attempt.kwargs)
        assert response.status_code in attempt.expect, (attempt.method, attempt.url, response.text[:300])
        body = response.text
        if attempt.headers is not world.victim:
            # Nothing of the victim's documents leaks in any answer (not even in an error text).
            for secret_bit in (world.accepted_id, world.signed_only_id):
                if secret_bit not in attempt.url:
                    assert secret_bit not in body, (attempt.url, "filtra un id de la víctima")
        if response.status_code == 404 and attempt.client == "api":
            assert response.json()["errors"][0]["codError"] == "PSE-0012"
        if route == ("POST", "/v1/comprobantes") and response.status_code == 202:
            assert response.json()["id"].startswith(ATTACKER_RUC)
        if route == ("GET", "/v1/comprobantes"):
            assert response.json()["total"] == 0
    assert _victim_snapshot(world_client, world) == before


def test_an_existing_and_a_missing_document_answer_alike(world_client, world):
    """No enumeration oracle: the attacker cannot tell the victim's real ids from invented ones."""
    real = world_client.get(f"/v1/comprobantes/{world.accepted_id}", headers=world.attacker)
    invented = world_client.get(f"/v1/comprobantes/{world.victim_ruc}-01-F001-99999", headers=world.attacker)
    assert real.status_code == invented.status_code == 404
    shape = lambda r: {k: v for k, v in r.json().items() if k != "exc"}  # noqa: E731
    assert shape(real)["errors"][0]["codError"] == shape(invented)["errors"][0]["codError"]


def test_a_user_token_cannot_manage_api_clients(world_client, world):
    assert (
        world_client.post(f"/v1/empresas/{world.victim_ruc}/clientes", headers=world.victim_user).status_code
        == 403
    )
    assert (
        world_client.delete(
            f"/v1/empresas/{world.victim_ruc}/clientes/{demo.DEMO_CLIENT}", headers=world.victim_user
        ).status_code
        == 403
    )
