"""A Costa Rican company: what it must declare to issue, its Hacienda credentials, the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.x509.oid import NameOID
from hacienda_e2e_support import api_client
from sqlalchemy import func, select

from openpse import demo
from openpse.api.app import create_app
from openpse.core.errors import ValidationFailed
from openpse.sandbox.hacienda import DEMO_PASSWORD, DEMO_USERNAME
from openpse.storage.tables import ApiCliente, Empresa
from openpse.tenants import EmpresaData, create_empresa, empresa_context, validate_empresa
from tests_support import make_runtime


def _data(**cambios: Any) -> EmpresaData:
    datos: dict[str, Any] = {
        "pais": "CR",
        "identificacion": "3101000001",
        "razon_social": "COMERCIAL EJEMPLO SOCIEDAD ANONIMA",
        "direccion": dict(demo.DEMO_CR_DIRECCION),
        "destino": "hacienda",
        "ambiente": "sandbox",
    }
    direccion = cambios.pop("direccion", None)
    if direccion is not None:
        datos["direccion"] = {**datos["direccion"], **direccion}
        datos["direccion"] = {k: v for k, v in datos["direccion"].items() if v is not None}
    datos.update(cambios)
    return EmpresaData(**datos)


def _campos(data: EmpresaData) -> set[tuple[str, str | None]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_empresa(data)
    return {(str(issue.cod), issue.campo) for issue in caught.value.issues}


def test_a_complete_costa_rican_company_is_accepted() -> None:
    validate_empresa(_data())
    validate_empresa(_data(ambiente="produccion", hacienda_usuario="cpj@prod", hacienda_clave="x" * 20))


@pytest.mark.parametrize(
    ("cambios", "esperado"),
    [
        ({"direccion": {"correo": None}}, ("PSE-CR004", "direccion.correos")),
        ({"direccion": {"correo": "no es un correo"}}, ("PSE-CR205", "direccion.correos")),
        ({"direccion": {"canton": "99"}}, ("PSE-CR203", "direccion")),
        (
            {"direccion": {"provincia": None, "canton": None, "distrito": None, "otras_senas": None}},
            ("PSE-CR004", "direccion"),
        ),
        ({"direccion": {"codigo_actividad": None}}, ("PSE-0024", "direccion.codigo_actividad")),
        ({"direccion": {"ubigeo": "150101"}}, ("PSE-0024", "direccion")),
        ({"direccion": {"tipo_identificacion": "01"}}, ("PSE-CR201", "identificacion")),
        ({"identificacion": "31010000019999"}, ("PSE-CR201", "identificacion")),
        ({"destino": "sunat"}, ("PSE-0024", "destino")),
        ({"firma_algoritmo": "sha1"}, ("PSE-0024", "firma_algoritmo")),
        ({"ambiente": "produccion"}, ("PSE-0024", "hacienda_usuario")),
    ],
)
def test_what_a_costa_rican_company_must_declare(cambios: dict[str, Any], esperado: tuple[str, str]) -> None:
    assert esperado in _campos(_data(**cambios))


def test_the_authoritys_context_carries_the_hacienda_credentials(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "data", "http://127.0.0.1:9")
    try:
        with runtime.db.session() as session:
            empresa = create_empresa(
                session,
                runtime.box,
                _data(
                    hacienda_usuario="cpj-3-101-000001@stag.comprobanteselectronicos.go.cr",
                    hacienda_clave="pin",
                ),
            )
            assert empresa.hacienda_clave_enc is not None
            assert b"pin" not in empresa.hacienda_clave_enc
            context = empresa_context(empresa, runtime.box, runtime.keys)
        assert (context.pais, context.usuario, context.clave) == (
            "CR",
            "cpj-3-101-000001@stag.comprobanteselectronicos.go.cr",
            "pin",
        )
        assert "pin" not in repr(context)
    finally:
        runtime.close()


def test_the_costa_rican_demo_is_seeded_once_and_can_issue(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "data", "http://127.0.0.1:9")
    try:
        demo.seed(runtime, costa_rica=True)
        demo.seed(runtime, costa_rica=True)
        with runtime.db.read() as session:
            empresas = session.scalar(select(func.count()).select_from(Empresa))
            empresa = session.scalars(
                select(Empresa).where(Empresa.identificacion == demo.DEMO_CR_CEDULA)
            ).one()
            cliente = session.scalars(
                select(ApiCliente).where(ApiCliente.client_id == demo.DEMO_CR_CLIENT)
            ).one()
            context = empresa_context(empresa, runtime.box, runtime.keys)
        assert empresas == 2
        assert cliente.empresa_id == empresa.id
        assert (empresa.pais, empresa.destino, empresa.ambiente) == ("CR", "hacienda", "sandbox")
        # The emulator's published sandbox user: the demo sends with no setup.
        assert (context.usuario, context.clave) == (DEMO_USERNAME, DEMO_PASSWORD)
        assert context.certificate is not None
        subject = context.certificate.certificate.subject
        assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "CPJ-3-101-123456"
        assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CR"
        with api_client(create_app(runtime)) as (_client, auth):
            assert auth["Authorization"].startswith("Bearer ")
        assert "Costa Rica" in demo.banner(runtime.settings, costa_rica=True)
        assert "Costa Rica" not in demo.banner(runtime.settings)
    finally:
        runtime.close()


def test_without_the_flag_the_demo_stays_peruvian(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "data", "http://127.0.0.1:9")
    try:
        with runtime.db.read() as session:
            paises = set(session.scalars(select(Empresa.pais)).all())
        assert paises == {"PE"}
    finally:
        runtime.close()
