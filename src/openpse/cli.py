"""The ``openpse`` command: serve, sandbox, companies, clients, issuing from files."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Annotated

import httpx2
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openpse import __version__
from openpse.settings import Settings

app = typer.Typer(
    help="OpenPSE: Proveedor de Servicios Electrónicos (SUNAT, OSE, Hacienda).", no_args_is_help=True
)
empresa_app = typer.Typer(help="Empresas emisoras.", no_args_is_help=True)
cliente_app = typer.Typer(help="Clientes de API.", no_args_is_help=True)
app.add_typer(empresa_app, name="empresa")
app.add_typer(cliente_app, name="cliente")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings(**overrides: object) -> Settings:
    settings = Settings()
    values = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=values) if values else settings


def _logging(settings: Settings) -> None:
    # One JSON object per line (or console text), with request, company and document ids.
    from openpse.observability import configure_logging

    configure_logging(settings.log_level.upper(), settings.log_format)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Sandbox, empresa y clientes de demostración listos")] = False,
    host: Annotated[str | None, typer.Option(help="Interfaz (OPENPSE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Puerto (OPENPSE_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="Hilos de envío (OPENPSE_WORKERS)")] = None,
    solo_api: Annotated[
        bool, typer.Option(help="Sin hilos de envío: la cola la procesan los `openpse worker`")
    ] = False,
    procesos: Annotated[
        int, typer.Option(min=1, max=64, help="Procesos del API en el mismo puerto (PostgreSQL recomendado)")
    ] = 1,
    reutilizar_puerto: Annotated[bool, typer.Option(hidden=True)] = False,
) -> None:
    """API, cola y trabajadores en un proceso (SQLite por defecto); con --solo-api, una réplica del API."""
    import uvicorn

    from openpse import demo as demo_mod
    from openpse.api.app import create_app
    from openpse.jobs.queue import JobQueue
    from openpse.runtime import Runtime

    settings = _settings(host=host, port=port, workers=workers)
    _logging(settings)
    sandbox = None
    if demo and settings.sandbox_url is None:
        sandbox = demo_mod.start_sandbox(settings)
    try:
        runtime = Runtime.create(settings, create_master_key=demo)
        runtime.db.migrate()
        if demo:
            demo_mod.seed(runtime, costa_rica=True)
            console.print(demo_mod.banner(settings, costa_rica=True), highlight=False)
        if procesos > 1:
            # Stateless replicas on one port (SO_REUSEPORT: the kernel spreads connections);
            # this process only prepares the data, supervises them and passes signals on.
            runtime.close()
            from openpse.jobs.worker import supervise

            command = ["serve", "--reutilizar-puerto", "--host", settings.host, "--port", str(settings.port)]
            command += ["--solo-api"] if solo_api else ["--workers", str(settings.workers)]
            raise typer.Exit(supervise(command, procesos))
        JobQueue(runtime)
        api = create_app(runtime, start_workers=0 if solo_api else settings.workers)
        config = uvicorn.Config(
            api, host=settings.host, port=settings.port, log_level="warning", access_log=False
        )
        if reutilizar_puerto:
            uvicorn.Server(config).run(sockets=[_shared_socket(settings.host, settings.port)])
        else:
            uvicorn.Server(config).run()
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(timeout=10)


def _shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket other processes may bind too (each replica accepts its share)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


@app.command()
def worker(
    hilos: Annotated[int | None, typer.Option(help="Hilos de envío por proceso (OPENPSE_WORKERS)")] = None,
    procesos: Annotated[int, typer.Option(min=1, max=64, help="Procesos trabajadores")] = 1,
) -> None:
    """Procesa la cola fuera del API: envíos, consultas, reintentos y el barrido periódico.

    Con OPENPSE_QUEUE_URL=redis://… y OPENPSE_DATABASE_URL=postgresql://… puede correr en
    varias máquinas a la vez; todas comparten la base de datos, la cola y los límites."""
    from openpse.core.secretbox import SecretBoxError
    from openpse.jobs import worker as worker_mod

    settings = _settings(workers=hilos)
    _logging(settings)
    if procesos > 1:
        command = ["worker", "--hilos", str(settings.workers), "--procesos", "1"]
        raise typer.Exit(worker_mod.supervise(command, procesos))
    try:
        worker_mod.run_consumer(settings, settings.workers)
    except SecretBoxError as exc:
        err.print(f"[red]No se puede iniciar el trabajador:[/red] {exc}")
        raise typer.Exit(1) from exc


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interfaz")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Puerto (OPENPSE_SANDBOX_PORT)")] = None,
) -> None:
    """Emuladores de SUNAT (billService, billConsultService) en un puerto."""
    from openpse.sandbox import SandboxConfig
    from openpse.sandbox import serve as serve_sandbox

    settings = _settings(sandbox_port=port)
    _logging(settings)
    serve_sandbox(host, settings.sandbox_port, SandboxConfig.from_settings(settings))


@app.command()
def migrar() -> None:
    """Aplica las migraciones de la base de datos."""
    from openpse.storage.db import Database

    settings = _settings()
    db = Database(settings.resolved_database_url)
    db.migrate()
    console.print(f"Base de datos al día: {db.display_url}")


@app.command("clave-maestra")
def clave_maestra() -> None:
    """Genera una clave maestra nueva para OPENPSE_MASTER_KEY."""
    from openpse.core.secretbox import SecretBox

    console.print(SecretBox.generate_key(), highlight=False)


# -- master key rotation (issue 6: secrets at rest) -------------------------------------------


@app.command("rotar-clave-maestra")
def rotar_clave_maestra() -> None:
    """Vuelve a cifrar todos los secretos guardados con una clave maestra nueva.

    Con OPENPSE_MASTER_KEY: ponga primero la clave nueva delante de la actual
    (OPENPSE_MASTER_KEY=<nueva>,<actual>) en todos los procesos, ejecute este comando y
    luego deje solo la nueva. Con el archivo master.key del directorio de datos: el comando
    genera la clave nueva y reescribe el archivo; reinicie los procesos después.
    """
    import os

    from sqlalchemy import select, update

    from openpse.api.audit import Actor, record
    from openpse.core.secretbox import SecretBox, SecretBoxError
    from openpse.runtime import master_key_file
    from openpse.storage.db import Database
    from openpse.storage.tables import Base

    settings = _settings()
    path = None
    if settings.master_key is not None:
        keys = [k.strip() for k in settings.master_key.get_secret_value().split(",") if k.strip()]
        if len(keys) < 2:
            err.print(
                "Ponga la clave nueva delante de la actual: OPENPSE_MASTER_KEY=<nueva>,<actual> "
                "(genere la nueva con `openpse clave-maestra`)"
            )
            raise typer.Exit(2)
    else:
        path = master_key_file(settings)
        if not path.exists():
            err.print(f"No hay clave maestra: ni OPENPSE_MASTER_KEY ni {path}")
            raise typer.Exit(2)
        keys = [SecretBox.generate_key(), *(k for k in path.read_text("ascii").strip().split(",") if k)]

        def write_keys(text: str) -> None:
            # Written beside and renamed: a crash never leaves a half-written key file.
            assert path is not None
            tmp = path.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            tmp.touch(mode=0o600)
            tmp.write_text(text + "\n", encoding="ascii")
            os.replace(tmp, path)

        # Both keys first: whatever happens next, every secret opens with this file.
        write_keys(",".join(keys))
    try:
        box, new_only = SecretBox(",".join(keys)), SecretBox(keys[0])
    except SecretBoxError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    db = Database(settings.resolved_database_url)
    db.migrate()
    counts: dict[str, int] = {}
    try:
        with db.session() as session:
            # Every column named *_enc holds a Fernet token: new encrypted columns are rotated too.
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if c.name.endswith("_enc")]
                if not columns:
                    continue
                keys_of_table = list(table.primary_key.columns)
                for row in session.execute(select(*keys_of_table, *columns)).all():
                    values = row._mapping
                    changed = {
                        c.name: box.encrypt(box.decrypt(values[c.name]))
                        for c in columns
                        if values[c.name] is not None
                    }
                    for name, token in changed.items():
                        new_only.decrypt(token)
                        counts[f"{table.name}.{name}"] = counts.get(f"{table.name}.{name}", 0) + 1
                    if changed:
                        session.execute(
                            update(table)
                            .where(*(k == values[k.name] for k in keys_of_table))
                            .values(**changed)
                        )
            record(session, Actor.cli(), "clave_maestra.rotada", "secretos", None, {"columnas": counts})
    except SecretBoxError as exc:
        err.print(f"[red]No se rotó nada:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    if path is not None:
        write_keys(keys[0])
    total = sum(counts.values())
    console.print(
        f"{total} secretos cifrados de nuevo con la clave nueva ({', '.join(sorted(counts)) or 'ninguno'})."
    )
    if path is None:
        console.print("Ahora deje solo la primera clave en OPENPSE_MASTER_KEY y reinicie los procesos.")
    else:
        console.print(f"{path} tiene ahora solo la clave nueva; reinicie los procesos.")


@app.command()
def version() -> None:
    """Muestra la versión."""
    console.print(f"OpenPSE {__version__}")


@empresa_app.command("crear")
def empresa_crear(
    ruc: Annotated[str, typer.Option(help="RUC de la empresa")],
    razon_social: Annotated[str, typer.Option(help="Razón social")],
    nombre_comercial: Annotated[str | None, typer.Option()] = None,
    ubigeo: Annotated[str | None, typer.Option(help="Ubigeo del domicilio fiscal")] = None,
    departamento: Annotated[str | None, typer.Option()] = None,
    provincia: Annotated[str | None, typer.Option()] = None,
    distrito: Annotated[str | None, typer.Option()] = None,
    direccion: Annotated[str | None, typer.Option()] = None,
    destino: Annotated[str, typer.Option(help="sunat u ose")] = "sunat",
    ambiente: Annotated[str, typer.Option(help="sandbox, beta o produccion")] = "sandbox",
    ose_url: Annotated[str | None, typer.Option()] = None,
    usuario_sol: Annotated[str | None, typer.Option()] = None,
    clave_sol: Annotated[
        str | None, typer.Option(envvar="OPENPSE_CLAVE_SOL", help="o OPENPSE_CLAVE_SOL")
    ] = None,
    pfx: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Certificado .pfx/.p12 o PEM")
    ] = None,
    pfx_clave: Annotated[
        str | None, typer.Option(envvar="OPENPSE_PFX_CLAVE", help="o OPENPSE_PFX_CLAVE")
    ] = None,
    certificado_prueba: Annotated[bool, typer.Option(help="Generar un certificado de prueba")] = False,
) -> None:
    """Crea una empresa emisora (y carga su certificado)."""
    from openpse.core.errors import OpenPSEError
    from openpse.runtime import Runtime
    from openpse.signing.certificates import CertificateError, generate_test_certificate, load_any
    from openpse.tenants import EmpresaData, certificate_info, create_empresa, set_certificate

    settings = _settings()
    runtime = Runtime.create(settings)
    runtime.db.migrate()
    address = {
        k: v
        for k, v in {
            "ubigeo": ubigeo,
            "departamento": departamento,
            "provincia": provincia,
            "distrito": distrito,
            "direccion": direccion,
        }.items()
        if v
    }
    try:
        cert = None
        if pfx is not None:
            cert = load_any(pfx.read_bytes(), pfx_clave)
        elif certificado_prueba:
            cert = generate_test_certificate(ruc, razon_social)
        with runtime.db.session() as session:
            empresa = create_empresa(
                session,
                runtime.box,
                EmpresaData(
                    pais="PE",
                    identificacion=ruc,
                    razon_social=razon_social,
                    nombre_comercial=nombre_comercial,
                    direccion=address,
                    destino=destino,
                    ambiente=ambiente,
                    ose_url=ose_url,
                    usuario_sol=usuario_sol,
                    clave_sol=clave_sol,
                ),
            )
            if cert is not None:
                set_certificate(empresa, runtime.box, cert)
            info = certificate_info(empresa)
    except (OpenPSEError, CertificateError) as exc:
        err.print(f"[red]No se creó la empresa:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"Empresa {ruc} creada ({ambiente}, destino {destino}).")
    if info:
        console.print(f"Certificado: {info['sujeto']}, vence {info['vence']}")


@cliente_app.command("crear")
def cliente_crear(
    empresa: Annotated[str | None, typer.Option(help="RUC de la empresa del cliente")] = None,
    admin: Annotated[bool, typer.Option(help="Cliente administrador (sin empresa)")] = False,
    client_id: Annotated[str | None, typer.Option(help="Identificador; por defecto uno aleatorio")] = None,
    nombre: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Crea un cliente de API e imprime su secreto (se muestra una sola vez)."""
    from sqlalchemy import select

    from openpse.core.errors import OpenPSEError
    from openpse.runtime import Runtime
    from openpse.storage.tables import Empresa
    from openpse.tenants import create_client

    if (empresa is None) == (not admin):
        err.print("Indique --empresa RUC o --admin")
        raise typer.Exit(2)
    runtime = Runtime.create(_settings())
    runtime.db.migrate()
    try:
        with runtime.db.session() as session:
            row = None
            if empresa:
                row = session.scalar(select(Empresa).where(Empresa.identificacion == empresa))
                if row is None:
                    err.print(f"No existe la empresa {empresa}")
                    raise typer.Exit(1)
            cid, secret = create_client(session, row, client_id=client_id, admin=admin, nombre=nombre)
    except OpenPSEError as exc:
        err.print(f"[red]No se creó el cliente:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(json.dumps({"client_id": cid, "client_secret": secret}), highlight=False)


@app.command()
def emitir(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Archivos JSON de comprobantes")
    ],
    url: Annotated[
        str, typer.Option(envvar="OPENPSE_API_URL", help="URL de OpenPSE")
    ] = "http://127.0.0.1:8000",
    client_id: Annotated[str, typer.Option(envvar="OPENPSE_CLIENT_ID")] = "demo-pe",
    client_secret: Annotated[str, typer.Option(envvar="OPENPSE_CLIENT_SECRET")] = "demo-secret",  # noqa: S107
    espera: Annotated[int, typer.Option(min=0, max=60, help="Segundos a esperar la respuesta de SUNAT")] = 10,
) -> None:
    """Envía comprobantes JSON a la API y muestra el resultado de cada uno."""
    base = url.rstrip("/")
    failures = 0
    with httpx2.Client(base_url=base, timeout=espera + 30) as http:
        token_response = http.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        )
        if token_response.status_code != 200:
            err.print(
                f"[red]Autenticación fallida ({token_response.status_code}):[/red] {token_response.text}"
            )
            raise typer.Exit(1)
        headers = {"Authorization": f"Bearer {token_response.json()['access_token']}"}
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        )
        with progress:
            task = progress.add_task("Emitiendo", total=len(files))
            for path in files:
                try:
                    body = json.loads(path.read_text(encoding="utf-8"))
                except ValueError as exc:
                    console.print(f"{path}: JSON inválido: {exc}")
                    failures += 1
                    progress.advance(task)
                    continue
                response = http.post(
                    "/v1/comprobantes", params={"espera": espera}, json=body, headers=headers
                )
                data = response.json()
                if response.status_code in (200, 202):
                    respuesta = data.get("respuesta") or {}
                    console.print(
                        f"{path}: {data['id']} {data['estado']} "
                        f"{respuesta.get('codigo') or ''} {respuesta.get('descripcion') or ''}".rstrip(),
                        highlight=False,
                    )
                    if data["estado"] in ("rechazado", "fallido"):
                        failures += 1
                else:
                    failures += 1
                    errors = "; ".join(
                        f"{e['codError']} {e['desError']} ({e.get('campo') or '-'})"
                        for e in data.get("errors", [])
                    )
                    console.print(f"{path}: HTTP {response.status_code}: {errors}", highlight=False)
                progress.advance(task)
    raise typer.Exit(1 if failures else 0)
