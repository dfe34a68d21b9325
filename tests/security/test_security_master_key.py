"""``openpse rotar-clave-maestra``: every secret at rest is encrypted again with a new master
key, the old key stops being needed, and the service keeps working with the new one."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from openpse import demo
from openpse.api.app import create_app
from openpse.api.audit import Auditoria
from openpse.cli import app as cli
from openpse.core.secretbox import SecretBox
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.settings import Settings
from openpse.storage.tables import Empresa
from tests_support import factura, token_for

SECRET_COLUMNS = ("clave_sol_enc", "cert_key_enc")


def _seed(data_dir, sandbox_url, key: str) -> None:
    runtime = Runtime.create(Settings(data_dir=data_dir, sandbox_url=sandbox_url, master_key=key))
    runtime.db.migrate()
    demo.seed(runtime)
    runtime.close()


def _stored(data_dir, key: str) -> list[bytes]:
    runtime = Runtime.create(Settings(data_dir=data_dir, master_key=key))
    with runtime.db.read() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC))
        values = [getattr(empresa, c) for c in SECRET_COLUMNS]
        audit = session.scalars(select(Auditoria).where(Auditoria.accion == "clave_maestra.rotada")).all()
    runtime.close()
    assert len(audit) == 1
    assert audit[0].actor == "cli"
    return values


def _issue_with(data_dir, sandbox_url, key: str) -> str:
    runtime = Runtime.create(Settings(data_dir=data_dir, sandbox_url=sandbox_url, master_key=key))
    JobQueue(runtime)
    with TestClient(create_app(runtime, start_workers=1)) as client:
        response = client.post(
            "/v1/comprobantes", json=factura(numero=1), headers=token_for(client), params={"espera": 20}
        )
    runtime.close()
    return response.json()["estado"]


def test_rotation_with_keys_in_the_environment(tmp_path, monkeypatch, sandbox_url):
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    _seed(tmp_path, sandbox_url, old)
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENPSE_MASTER_KEY", old)
    refused = CliRunner().invoke(cli, ["rotar-clave-maestra"])
    assert refused.exit_code == 2
    assert "<nueva>,<actual>" in refused.output
    monkeypatch.setenv("OPENPSE_MASTER_KEY", f"{new},{old}")
    rotated = CliRunner().invoke(cli, ["rotar-clave-maestra"])
    assert rotated.exit_code == 0, rotated.output
    assert "empresas.cert_key_enc" in rotated.output
    assert "empresas.clave_sol_enc" in rotated.output
    for token in _stored(tmp_path, new):
        assert Fernet(new.encode()).decrypt(token)
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(token)
    assert _issue_with(tmp_path, sandbox_url, new) == "aceptado"


def test_rotation_of_the_key_file_of_the_data_directory(tmp_path, monkeypatch, sandbox_url):
    key_file = tmp_path / "master.key"
    old = SecretBox.generate_key()
    key_file.write_text(old + "\n")
    key_file.chmod(0o600)
    _seed(tmp_path, sandbox_url, old)
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPENPSE_MASTER_KEY", raising=False)
    rotated = CliRunner().invoke(cli, ["rotar-clave-maestra"])
    assert rotated.exit_code == 0, rotated.output
    new = key_file.read_text().strip()
    assert "," not in new
    assert new != old
    assert key_file.stat().st_mode & 0o777 == 0o600
    for token in _stored(tmp_path, new):
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(token)
    assert _issue_with(tmp_path, sandbox_url, new) == "aceptado"


def test_a_wrong_old_key_rotates_nothing(tmp_path, monkeypatch, sandbox_url):
    real, wrong, new = (SecretBox.generate_key() for _ in range(3))
    _seed(tmp_path, sandbox_url, real)
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENPSE_MASTER_KEY", f"{new},{wrong}")
    failed = CliRunner().invoke(cli, ["rotar-clave-maestra"])
    assert failed.exit_code == 1
    assert "No se rotó nada" in failed.output
    runtime = Runtime.create(Settings(data_dir=tmp_path, master_key=real))
    with runtime.db.read() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC))
        assert runtime.box.decrypt_text(empresa.clave_sol_enc) == "moddatos"
    runtime.close()
