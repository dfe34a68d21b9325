"""The demo: a sandbox process, demo companies with fresh test certificates, clients.

A Peruvian company (SUNAT's sandbox) always; a Costa Rican one (Hacienda's emulator in the
same sandbox, under ``/hacienda``) when asked, with the emulator's published IDP user.
Everything here is idempotent: running ``openpse serve --demo`` again reuses the data
directory, the companies and their certificates.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

import httpx2
from sqlalchemy import select

from openpse.authorities.hacienda.perfil import generar_certificado_prueba
from openpse.runtime import Runtime
from openpse.sandbox.hacienda.config import DEMO_CEDULA, DEMO_PASSWORD, DEMO_USERNAME
from openpse.settings import Settings
from openpse.signing.certificates import generate_test_certificate
from openpse.storage.tables import ApiCliente, Empresa, Usuario
from openpse.tenants import EmpresaData, create_client, create_empresa, create_user, set_certificate

DEMO_RUC = "20000000001"
DEMO_RAZON_SOCIAL = "EMPRESA DEMO S.A.C."
DEMO_CLIENT = "demo-pe"
DEMO_ADMIN = "demo-admin"
DEMO_USER = "demo"

DEMO_CR_CEDULA = DEMO_CEDULA
"""The cédula jurídica of the Costa Rican demo company: the one whose IDP user the Hacienda
emulator publishes (``cpj-3-101-123456@stag…``), so the demo sends with no setup."""
DEMO_CR_RAZON_SOCIAL = "EMPRESA DEMO COSTA RICA SOCIEDAD ANONIMA"
DEMO_CR_CLIENT = "demo-cr"
DEMO_CR_USER = "demo-cr"
DEMO_CR_DIRECCION = {
    "tipo_identificacion": "02",
    "provincia": "1",
    "canton": "01",
    "distrito": "01",
    "barrio": "Barrio Amón",
    "otras_senas": "Avenida 7, calles 3 y 5, edificio Demo",
    "correo": "facturas@demo-cr.example",
    "telefono": "22223333",
    "codigo_actividad": "721001",
}
"""Ubicación (San José, Carmen), e-mail, phone and economic activity of its Emisor block."""


def seed(runtime: Runtime, *, costa_rica: bool = False) -> None:
    """Create the demo company, its certificate, clients and user if they are missing
    (and the Costa Rican demo company with ``costa_rica``)."""
    secret = runtime.settings.demo_secret.get_secret_value()
    with runtime.db.session() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == DEMO_RUC))
        if empresa is None:
            empresa = create_empresa(
                session,
                runtime.box,
                EmpresaData(
                    pais="PE",
                    identificacion=DEMO_RUC,
                    razon_social=DEMO_RAZON_SOCIAL,
                    nombre_comercial="DEMO",
                    direccion={
                        "ubigeo": "150101",
                        "departamento": "LIMA",
                        "provincia": "LIMA",
                        "distrito": "LIMA",
                        "direccion": "AV. DEMO 123",
                        "codigo_establecimiento": "0000",
                    },
                    destino="sunat",
                    ambiente="sandbox",
                    usuario_sol="MODDATOS",
                    clave_sol="moddatos",
                ),
            )
        if empresa.cert_der is None:
            set_certificate(empresa, runtime.box, generate_test_certificate(DEMO_RUC, DEMO_RAZON_SOCIAL))
        clients = set(session.scalars(select(ApiCliente.client_id)).all())
        if DEMO_CLIENT not in clients:
            create_client(session, empresa, client_id=DEMO_CLIENT, secret=secret, nombre="Cliente demo")
        if DEMO_ADMIN not in clients:
            create_client(
                session, None, client_id=DEMO_ADMIN, secret=secret, admin=True, nombre="Administrador demo"
            )
        if session.scalar(select(Usuario.id).where(Usuario.username == DEMO_USER)) is None:
            create_user(session, empresa, DEMO_USER, secret)
    if costa_rica:
        seed_costa_rica(runtime)


def seed_costa_rica(runtime: Runtime) -> None:
    """The Costa Rican demo company (Hacienda sandbox, the emulator's IDP user), a test key in
    the shape of Hacienda's, the client ``demo-cr`` and the portal user ``demo-cr``."""
    secret = runtime.settings.demo_secret.get_secret_value()
    with runtime.db.session() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == DEMO_CR_CEDULA))
        if empresa is None:
            empresa = create_empresa(
                session,
                runtime.box,
                EmpresaData(
                    pais="CR",
                    identificacion=DEMO_CR_CEDULA,
                    razon_social=DEMO_CR_RAZON_SOCIAL,
                    nombre_comercial="DEMO CR",
                    direccion=dict(DEMO_CR_DIRECCION),
                    destino="hacienda",
                    ambiente="sandbox",
                    hacienda_usuario=DEMO_USERNAME,
                    hacienda_clave=DEMO_PASSWORD,
                ),
            )
        if empresa.cert_der is None:
            set_certificate(
                empresa, runtime.box, generar_certificado_prueba(DEMO_CR_CEDULA, DEMO_CR_RAZON_SOCIAL)
            )
        clients = set(session.scalars(select(ApiCliente.client_id)).all())
        if DEMO_CR_CLIENT not in clients:
            create_client(session, empresa, client_id=DEMO_CR_CLIENT, secret=secret, nombre="Cliente demo CR")
        if session.scalar(select(Usuario.id).where(Usuario.username == DEMO_CR_USER)) is None:
            create_user(session, empresa, DEMO_CR_USER, secret)


def _die_with_parent() -> None:
    # Linux: the sandbox receives SIGTERM when `openpse serve` dies, even by kill -9.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_sandbox(settings: Settings) -> subprocess.Popen[bytes]:
    """Run ``openpse sandbox`` as a child process on loopback and wait until it answers."""
    env = dict(os.environ)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, fixed arguments)
        [
            sys.executable,
            "-m",
            "openpse",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(settings.sandbox_port),
        ],
        env=env,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    url = f"http://127.0.0.1:{settings.sandbox_port}/health"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"el sandbox terminó al iniciar (código {process.returncode}); "
                f"¿el puerto {settings.sandbox_port} está ocupado?"
            )
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(url, timeout=1).status_code == 200:
                return process
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("el sandbox no respondió en 30 s")


def banner(settings: Settings, costa_rica: bool = False) -> str:
    api = settings.resolved_public_url
    secret = (
        "<OPENPSE_DEMO_SECRET>" if settings.demo_secret.get_secret_value() != "demo-secret" else "demo-secret"
    )
    cr = (
        f"  Costa Rica: {DEMO_CR_CEDULA} {DEMO_CR_RAZON_SOCIAL}, cliente {DEMO_CR_CLIENT} / {secret}\n"
        f"             (Hacienda emulada en {settings.resolved_sandbox_url}/hacienda)\n"
        if costa_rica
        else ""
    )
    return f"""
OpenPSE — modo demo
  API:       {api}   (documentación interactiva: {api}/docs)
  Sandbox:   {settings.resolved_sandbox_url}   (SUNAT billService emulado)
  Empresa:   {DEMO_RUC} {DEMO_RAZON_SOCIAL}, certificado de prueba recién generado
  Cliente:   {DEMO_CLIENT} / {secret}   (administrador: {DEMO_ADMIN} / {secret})
{cr}  Portal:    {api}/portal   (usuario {DEMO_USER} / {secret})   Consulta: {api}/consulta
  SOAP:      {api}/ol-ti-itcpe/billService   (usuario {DEMO_RUC}{DEMO_USER} / {secret})
  Datos:     {settings.data_dir.resolve()}

  Pida un token:
    curl -s -X POST {api}/v1/oauth2/token -d grant_type=client_credentials \\
         -d client_id={DEMO_CLIENT} -d client_secret={secret}
  y siga la sesión del README.
"""
