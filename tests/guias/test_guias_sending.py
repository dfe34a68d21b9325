"""A stored guía through the GRE platform: its states, over real HTTP against the sandbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import httpx2
import pytest
from guias_cases import EMPRESA, remitente
from guias_support import EMISORES, LiveSandbox, credentials, seed_for

from openpse.authorities.base import Outcome, Submission
from openpse.authorities.sunat.cdr import parse_cdr_xml
from openpse.authorities.sunat.guias import (
    GreClient,
    GreEndpoints,
    GreErrorItem,
    GreStatus,
    SignedGuia,
    follow_guia,
    outcome_of_status,
    parse_guia,
    prepare_guia,
    qr_url,
    submit_guia,
)
from openpse.authorities.sunat.naming import zip_single
from openpse.documents.states import Estado
from openpse.sandbox import FaultConfig
from openpse.signing.certificates import Certificate

pytest_plugins = ["guias_fixtures"]
ACCESS = credentials(EMPRESA)
Sandbox = Callable[..., LiveSandbox]


def _submission(signed: SignedGuia, ticket: str | None = None, envio: bytes | None = None) -> Submission:
    return Submission(
        id=signed.name.base,
        tipo=signed.name.tipo,
        serie=signed.name.serie,
        numero=signed.name.numero,
        hash=signed.hash,
        envio_name=signed.name.zip,
        envio=signed.zip if envio is None else envio,
        intentos=1,
        ticket=ticket,
    )


@pytest.fixture
def signed(gre_certificates: dict[str, Certificate]) -> SignedGuia:
    return prepare_guia(parse_guia(remitente()), 1, EMISORES["09"], gre_certificates[EMPRESA])


def _follow_until_final(client: GreClient, doc: Submission) -> Outcome:
    outcome = follow_guia(client, ACCESS, doc)
    while outcome.estado is Estado.PENDIENTE:
        doc = _with_ticket(doc, outcome.ticket)
        outcome = follow_guia(client, ACCESS, doc)
    return outcome


def _with_ticket(doc: Submission, ticket: str | None) -> Submission:
    return dataclasses.replace(doc, ticket=ticket)


def test_a_guia_goes_pendiente_then_aceptado_with_its_cdr_and_qr(
    gre_sandbox: Sandbox, gre_http: httpx2.Client, signed: SignedGuia
) -> None:
    client = GreClient(gre_http, GreEndpoints.single_host(gre_sandbox(ticket_polls=2).url))
    doc = _submission(signed)

    sent = submit_guia(client, ACCESS, doc)
    assert sent.estado is Estado.PENDIENTE
    assert sent.ticket
    waiting = follow_guia(client, ACCESS, _with_ticket(doc, sent.ticket))
    assert (waiting.estado, waiting.ticket) == (Estado.PENDIENTE, sent.ticket)
    waiting = follow_guia(client, ACCESS, _with_ticket(doc, sent.ticket))
    done = follow_guia(client, ACCESS, _with_ticket(doc, sent.ticket))

    assert waiting.estado is Estado.PENDIENTE
    assert done.estado is Estado.ACEPTADO
    assert done.respuesta is not None
    assert done.respuesta["codigo"] == "0"
    assert done.cdr is not None
    assert done.cdr_zip is not None
    url = qr_url(parse_cdr_xml(done.cdr))
    assert url is not None
    assert url.startswith(
        "https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr="
    )


def test_an_altered_guia_is_rechazado_with_its_cdr(
    gre_sandbox: Sandbox, gre_http: httpx2.Client, signed: SignedGuia
) -> None:
    client = GreClient(gre_http, GreEndpoints.single_host(gre_sandbox().url))
    altered = zip_single(signed.name.xml, signed.xml.replace(b"Cemento Portland", b"Cemento Andino"))
    doc = _submission(signed, envio=altered)

    outcome = _follow_until_final(client, _with_ticket(doc, submit_guia(client, ACCESS, doc).ticket))

    assert outcome.estado is Estado.RECHAZADO
    assert outcome.respuesta is not None
    assert outcome.respuesta["codigo"] == "2335"
    assert outcome.cdr is not None


def test_a_lost_send_is_desconocido_and_the_resend_finds_it_registered(
    gre_sandbox: Sandbox, gre_http: httpx2.Client, signed: SignedGuia
) -> None:
    sandbox = gre_sandbox(faults=FaultConfig(lost_response=0.5, seed=seed_for(".x....", 0.5)))
    client = GreClient(gre_http, GreEndpoints.single_host(sandbox.url))
    doc = _submission(signed)

    lost = submit_guia(client, ACCESS, doc)
    assert (lost.estado, lost.ticket) == (Estado.DESCONOCIDO, None)

    found = _follow_until_final(client, doc)

    assert found.estado is Estado.ACEPTADO
    assert found.respuesta is not None
    assert "1033" in found.respuesta["descripcion"]
    assert found.cdr is None


def test_an_unknown_ticket_makes_the_guia_desconocido(
    gre_sandbox: Sandbox, gre_http: httpx2.Client, signed: SignedGuia
) -> None:
    client = GreClient(gre_http, GreEndpoints.single_host(gre_sandbox().url))
    outcome = follow_guia(client, ACCESS, _submission(signed, ticket="8d1c7e53-0000-4000-8000-000000000000"))
    assert outcome.estado is Estado.DESCONOCIDO


def test_a_refused_send_is_an_error_or_a_failure(
    gre_sandbox: Sandbox, gre_http: httpx2.Client, signed: SignedGuia
) -> None:
    client = GreClient(gre_http, GreEndpoints.single_host(gre_sandbox().url))
    # 0154: the SOL user is not linked to the emisor; a link made later lets it through.
    stranger = submit_guia(client, credentials("20100070970"), _submission(signed))
    assert stranger.estado is Estado.ERROR
    assert stranger.respuesta is not None
    assert stranger.respuesta["codigo"] == "0154"


def test_a_platform_that_is_down_is_an_error(gre_sandbox: Sandbox, signed: SignedGuia) -> None:
    sandbox = gre_sandbox(faults=FaultConfig(http500=1.0))
    with httpx2.Client(timeout=5) as http:
        client = GreClient(http, GreEndpoints.single_host(sandbox.url))
        outcome = submit_guia(client, ACCESS, _submission(signed))
    assert outcome.estado is Estado.ERROR


@pytest.mark.parametrize(
    ("status", "estado", "codigo"),
    [
        (GreStatus("t", "99", error=None), Estado.ERROR, ""),
        (GreStatus("t", "0"), Estado.ACEPTADO, "0"),
    ],
)
def test_answers_without_cdr(status: GreStatus, estado: Estado, codigo: str, signed: SignedGuia) -> None:
    outcome = outcome_of_status(status, _submission(signed, ticket="t"))
    assert outcome.estado is estado
    assert outcome.respuesta is not None
    assert outcome.respuesta["codigo"] == codigo


@pytest.mark.parametrize(
    ("code", "estado"),
    [
        ("1032", Estado.RECHAZADO),
        ("2110", Estado.RECHAZADO),
        ("0161", Estado.FALLIDO),
        ("0140", Estado.ERROR),
    ],
)
def test_the_error_of_a_ticket_without_cdr_decides_the_state(
    code: str, estado: Estado, signed: SignedGuia
) -> None:
    outcome = outcome_of_status(GreStatus("t", "99", error=GreErrorItem(code, "texto")), _submission(signed))
    assert outcome.estado is estado
