"""The administration commands of the CLI, on a fresh data directory."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from openpse.cli import app
from openpse.core.secretbox import SecretBox
from openpse.signing.certificates import generate_test_certificate, to_pkcs12


def test_company_and_client_creation(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENPSE_MASTER_KEY", SecretBox.generate_key())
    pfx = tmp_path / "cert.pfx"
    pfx.write_bytes(to_pkcs12(generate_test_certificate("20100070970", "MI EMPRESA"), "secreta"))
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "empresa",
            "crear",
            "--ruc",
            "20100070970",
            "--razon-social",
            "MI EMPRESA S.A.C.",
            "--ubigeo",
            "150101",
            "--pfx",
            str(pfx),
        ],
        env={"OPENPSE_PFX_CLAVE": "secreta"},
    )
    assert created.exit_code == 0, created.output
    assert "Certificado: CN=MI EMPRESA" in created.output
    client = runner.invoke(app, ["cliente", "crear", "--empresa", "20100070970"])
    assert client.exit_code == 0, client.output
    credentials = json.loads(client.output)
    assert credentials["client_id"].startswith("20100070970-")
    assert len(credentials["client_secret"]) >= 24
    duplicate = runner.invoke(app, ["empresa", "crear", "--ruc", "20100070970", "--razon-social", "X"])
    assert duplicate.exit_code == 1
    assert "ya existe" in duplicate.output


def test_commands_refuse_to_run_without_a_master_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPENPSE_MASTER_KEY", raising=False)
    result = CliRunner().invoke(app, ["cliente", "crear", "--admin"])
    assert result.exit_code != 0
    assert "OPENPSE_MASTER_KEY" in str(result.exception)


def test_bad_ruc_and_wrong_certificate_password(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENPSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENPSE_MASTER_KEY", SecretBox.generate_key())
    pfx = tmp_path / "cert.pfx"
    pfx.write_bytes(to_pkcs12(generate_test_certificate("20100070970", "X"), "secreta"))
    runner = CliRunner()
    assert (
        runner.invoke(app, ["empresa", "crear", "--ruc", "20100070971", "--razon-social", "X"]).exit_code == 1
    )
    wrong = runner.invoke(
        app,
        [
            "empresa",
            "crear",
            "--ruc",
            "20100070970",
            "--razon-social",
            "X",
            "--pfx",
            str(pfx),
            "--pfx-clave",
            "mala",
        ],
    )
    assert wrong.exit_code == 1
    assert "contraseña incorrecta" in wrong.output
