"""Costa Rica's Ministerio de Hacienda as an :class:`~openpse.authorities.base.Authority`.

A request becomes a signed v4.4 comprobante at registration (:func:`~.emision.emitir`):
its id is the 50-character clave, its series the first eight digits of the consecutivo
(``sucursal`` 3 + ``terminal`` 5, reference §3.2), so the document service's counter per
(company, tipo, serie) is exactly Hacienda's sequence per branch, terminal and type.
What is sent is stored with it: the JSON body of ``POST /recepcion`` (``{clave}.json``).

What each answer of the API de Recepción means for the document (``hacienda_cr.md`` §2,
ARCHITECTURE.md §4, principle 3):

* 2xx, or 400 "… ya fue recibido …" → ``pendiente``: Hacienda has it and decides later;
  its verdict arrives by polling ``GET /recepcion/{clave}`` or by the callback;
* ``ind-estado`` aceptado / rechazado with the signed MensajeHacienda → ``aceptado`` /
  ``rechazado`` (the MensajeHacienda is the document's "CDR"); ``recibido`` /
  ``procesando`` → still ``pendiente``; ``error`` (Hacienda could not process it) →
  ``error``, sent again with back-off under the same clave;
* other 400s (nothing was registered; the same bytes would be refused again) →
  ``fallido``, with ``X-Error-Cause`` as the answer;
* 499, 5xx, timeouts, resets → ``desconocido``: the status is asked before anything is
  sent again; 404 to that question → ``registrado``, the same bytes go again (a late
  arrival answers "ya fue recibido", never a second registration);
* 429 → the worker waits what ``Retry-After`` says and repeats the call, up to a few
  seconds in all; beyond that → ``desconocido`` (nothing was done, but the
  reconciliation's growing delays keep a long quota window from being hammered, which a
  retry budget would not survive);
* no connection or no token → ``error`` (retried with back-off, then ``fallido``);
  credentials refused → ``error`` with the IDP's reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx2
from lxml import etree
from pydantic import ValidationError
from sqlalchemy import select

from openpse.authorities.base import (
    Authority,
    Draft,
    EmpresaContext,
    Outcome,
    Prepared,
    RegistryLookup,
    Submission,
    VoidTarget,
)
from openpse.authorities.hacienda import anulacion, catalogs, xades
from openpse.authorities.hacienda.clave import (
    Clave,
    ClaveError,
    Consecutivo,
    fecha_costa_rica,
    identificacion_en_clave,
)
from openpse.authorities.hacienda.client import (
    AuthorizationFailed,
    Envio,
    HaciendaClient,
    IndEstado,
    NeverArrived,
    NotSent,
    QueryFailed,
    Received,
    RejectedAtReception,
    RetryAfter,
    Status,
    UnknownOutcome,
    consulta_key,
)
from openpse.authorities.hacienda.client import Identificacion as IdentificacionJson
from openpse.authorities.hacienda.codes import CodigoCR
from openpse.authorities.hacienda.emision import ComprobanteFirmado, emitir, emitir_mensaje, firmar_xml
from openpse.authorities.hacienda.formatos import FORMATOS, Formato
from openpse.authorities.hacienda.idp import HaciendaAccount, HaciendaEnvironment
from openpse.authorities.hacienda.models import ComprobanteIn, Emisor, Identificacion
from openpse.authorities.hacienda.perfil import Emisores
from openpse.authorities.hacienda.recepcion import Recepcion
from openpse.authorities.hacienda.totals import fmt5
from openpse.core import xmlsafe
from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.core.timeutil import COSTA_RICA
from openpse.documents.states import Estado
from openpse.settings import Settings
from openpse.storage.blobs import BlobStore
from openpse.storage.db import Database
from openpse.storage.tables import Comprobante

_T = TypeVar("_T")

SANDBOX_PREFIX = "/hacienda"
"""Where the sandbox serves the Hacienda emulator (IDP and API de Recepción)."""
CALLBACK_PATH = "/v1/hacienda/callback/"
"""API.md: "Hacienda callback: POST /v1/hacienda/callback/{token}"."""
_CALLBACK_CONTEXT = b"openpse/hacienda/callback/v1"
_TOKEN_HEX = 32
"""128 bits of HMAC-SHA256 in a callback token: unguessable, and short in a URL."""
_RESUMEN_API = {
    "TotalGravado": "gravado",
    "TotalExento": "exento",
    "TotalExonerado": "exonerado",
    "TotalNoSujeto": "no_sujeto",
    "TotalVenta": "venta",
    "TotalDescuentos": "descuentos",
    "TotalVentaNeta": "venta_neta",
    "TotalImpuesto": "impuesto",
    "TotalOtrosCargos": "otros_cargos",
    "TotalIVADevuelto": "iva_devuelto",
    "TotalComprobante": "total",
}
"""ResumenFactura to the ``totales`` of the API (those of :meth:`Resumen.como_texto`)."""


def serie_de(sucursal: int, terminal: int) -> str:
    """The series of a branch and terminal: the first 8 digits of the consecutivo (§3.2)."""
    return f"{sucursal:03d}{terminal:05d}"


def _respuesta(codigo: str, descripcion: str) -> dict[str, Any]:
    return {"codigo": codigo, "descripcion": descripcion, "observaciones": []}


def _titulo(tipo: str) -> str:
    nombre = catalogs.TIPOS_COMPROBANTE.get(tipo)
    return nombre[0].upper() + nombre[1:] if nombre else "Comprobante electrónico"


def clave_callbacks(settings: Settings) -> list[bytes]:
    """Keys of the callback tokens, derived from the master key(s).

    Every API replica holds the same master key, so every replica recognises a token any
    of them issued; after a rotation the old keys still verify the callbacks of documents
    sent before it (the first key signs, as with the secrets at rest).
    """
    from openpse.runtime import master_key_file  # the runtime imports this module

    if settings.master_key is not None:
        text = settings.master_key.get_secret_value()
    else:
        path = master_key_file(settings)
        if not path.exists():
            return []
        text = path.read_text(encoding="ascii")
    return [
        hmac.new(key.strip().encode("ascii"), _CALLBACK_CONTEXT, hashlib.sha256).digest()
        for key in text.split(",")
        if key.strip()
    ]


def documentos_firmados(db: Database, blobs: BlobStore) -> Callable[[str], bytes | None]:
    """The signed XML of a stored document, by id (what an annulment credit note mirrors)."""

    def load(doc_id: str) -> bytes | None:
        with db.read() as session:
            key = session.scalar(select(Comprobante.xml_blob).where(Comprobante.id == doc_id))
        return blobs.get(key) if key else None

    return load


class HaciendaAuthority(Authority):
    """Comprobantes electrónicos v4.4 to Hacienda's API de Recepción (or its emulator).

    ``sandbox_url`` is the sandbox process; companies with ``ambiente`` sandbox talk to the
    emulator under :data:`SANDBOX_PREFIX` there, ``beta`` to Hacienda's staging and
    ``produccion`` to production (``environments`` replaces that table). A 429 whose
    ``Retry-After`` fits in ``espera_cuota_s`` (in all, per send or query) is waited out and the
    call repeated; a longer one leaves the document ``desconocido``. ``callback_base``
    is OpenPSE's public URL: with ``callback_keys`` every document is sent with a
    ``callbackUrl`` carrying a token only this deployment can issue (to the emulator always;
    to Hacienda only over https). ``originales`` reads the signed XML of a stored document,
    which an annulment mirrors. ``proveedor_sistemas`` is the cédula written in
    ProveedorSistemas (the company's own when OpenPSE is run by the company itself).
    """

    pais = "CR"

    def __init__(
        self,
        http: httpx2.Client,
        sandbox_url: str,
        *,
        callback_base: str | None = None,
        callback_keys: Sequence[bytes] = (),
        originales: Callable[[str], bytes | None] | None = None,
        proveedor_sistemas: str | None = None,
        sucursal_anulacion: int = 1,
        terminal_anulacion: int = 1,
        environments: Mapping[str, HaciendaEnvironment] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        perfil: xades.HaciendaXadesProfile = xades.DEFAULT_PROFILE,
        espera_cuota_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._environments = dict(
            environments
            or {
                "sandbox": HaciendaEnvironment.emulator(sandbox_url.rstrip("/") + SANDBOX_PREFIX),
                "beta": HaciendaEnvironment.staging(),
                "produccion": HaciendaEnvironment.production(),
            }
        )
        self._clients: dict[str, HaciendaClient] = {}
        self._lock = threading.Lock()
        self._callback_base = callback_base.rstrip("/") if callback_base else None
        self._callback_keys = tuple(callback_keys)
        self._originales = originales
        self._proveedor = proveedor_sistemas
        # Annulment notes come from one branch and terminal: Authority.void_series() gets
        # only the kind and the day, not the document it annuls. Consecutivo refuses a
        # branch or terminal out of range (ClaveError) here rather than at the first void.
        Consecutivo(sucursal_anulacion, terminal_anulacion, "03", 1)
        self._serie_anulacion = (sucursal_anulacion, terminal_anulacion)
        self._clock = clock or (lambda: dt.datetime.now(COSTA_RICA))
        self._perfil = perfil
        self._emisores = Emisores()
        self._espera_cuota_s = espera_cuota_s
        self._sleep = sleep

    # -- plumbing -------------------------------------------------------------------------

    def client(self, ambiente: str) -> HaciendaClient:
        """The API client of an environment (one per environment: IDP sessions are per company)."""
        with self._lock:
            client = self._clients.get(ambiente)
            if client is None:
                environment = self._environments.get(ambiente)
                if environment is None:
                    raise ValueError(f"ambiente sin Hacienda configurada: {ambiente}")
                client = HaciendaClient(self._http, environment)
                self._clients[ambiente] = client
            return client

    @staticmethod
    def _account(empresa: EmpresaContext) -> HaciendaAccount | None:
        if not empresa.usuario or not empresa.clave:
            return None
        return HaciendaAccount(str(empresa.id), empresa.usuario, empresa.clave)

    def callback_token(self, clave: str) -> str | None:
        """The token of ``clave``'s callback URL (None: callbacks are not configured)."""
        if not self._callback_keys:
            return None
        mac = hmac.new(self._callback_keys[0], clave.encode("ascii"), hashlib.sha256)
        return mac.hexdigest()[:_TOKEN_HEX]

    def callback_valid(self, clave: str, token: str) -> bool:
        """Whether ``token`` is the one this deployment gave ``clave`` (any key of a rotation)."""
        if len(token) != _TOKEN_HEX or not clave.isascii():
            return False
        return any(
            hmac.compare_digest(
                hmac.new(key, clave.encode("ascii"), hashlib.sha256).hexdigest()[:_TOKEN_HEX], token
            )
            for key in self._callback_keys
        )

    def callback_url(self, clave: str, ambiente: str) -> str | None:
        token = self.callback_token(clave)
        base = self._callback_base
        if token is None or base is None:
            return None
        # Hacienda itself only ever reaches a public https address; the emulator also
        # reaches OpenPSE on loopback.
        if ambiente != "sandbox" and not base.startswith("https://"):
            return None
        return f"{base}{CALLBACK_PATH}{token}"

    def emisor(self, empresa: EmpresaContext) -> Emisor:
        """The company's Emisor (validated once per content)."""
        return self._emisores.de(empresa)

    def _within_quota(self, call: Callable[[], _T]) -> _T:
        """``call``, repeated after each 429 while the waits Hacienda asks for add up to no more
        than ``espera_cuota_s``: a per-second or per-minute window is waited out by the worker
        (backpressure on the quota) instead of turned into a state change."""
        waited = 0.0
        while True:
            answer = call()
            if not isinstance(answer, RetryAfter):
                return answer
            pause = max(answer.seconds, 0.05) + random.uniform(0, 0.1)  # noqa: S311 (jitter)
            if waited + pause > self._espera_cuota_s:
                return answer
            self._sleep(pause)
            waited += pause

    # -- building -------------------------------------------------------------------------

    def parse(self, payload: Any) -> Draft:
        try:
            model = ComprobanteIn.model_validate(payload)
        except ValidationError as exc:
            raise ValidationFailed(_validation_issues(exc)) from exc
        canonical = json.dumps(model.model_dump(mode="json", exclude={"numero"}), sort_keys=True)
        return Draft(
            tipo=model.tipo,
            serie=serie_de(model.sucursal, model.terminal),
            numero=model.numero,
            content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            model=model,
        )

    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        if isinstance(draft.model, Recepcion):
            return self._prepare_mensaje(draft.model, draft.serie, numero, empresa)
        model: ComprobanteIn = draft.model
        firmado = self.build_signed(model, numero, empresa)
        return self._prepared(firmado, model, draft.serie, numero)

    def _prepare_mensaje(
        self, recepcion: Recepcion, serie: str, numero: int, empresa: EmpresaContext
    ) -> Prepared:
        """The signed MensajeReceptor that answers a received comprobante, stored under
        ``clave-consecutivoReceptor`` and sent with its ``consecutivoReceptor``."""
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        receptor = self.emisor(empresa)
        firmado = emitir_mensaje(
            recepcion.mensaje(receptor.codigo_actividad),
            receptor,
            empresa.certificate,
            numero=numero,
            ahora=self._clock(),
            perfil=self._perfil,
        )
        recibido = recepcion.recibido
        key = consulta_key(firmado.clave, firmado.consecutivo)
        return Prepared(
            id=key,
            tipo=firmado.consecutivo[8:10],
            serie=serie,
            numero=numero,
            fecha_emision=firmado.fecha_emision.date(),
            moneda=recibido.moneda,
            total=fmt5(recibido.total_comprobante),
            # A message has no printed form (no PDF link) and no totals of its own.
            totales={},
            cliente_tipo=recibido.tipo_cedula_emisor,
            cliente_numero=recibido.numero_cedula_emisor,
            cliente_nombre=recibido.nombre_emisor,
            cliente_email=None,
            xml_name=f"{key}.xml",
            xml=firmado.xml,
            hash=firmado.hash,
            envio_name=f"{key}.json",
            envio=_envio_json(
                Envio(
                    clave=firmado.clave,
                    fecha=firmado.fecha_emision,
                    emisor=IdentificacionJson(recibido.tipo_cedula_emisor, recibido.numero_cedula_emisor),
                    comprobante_xml=firmado.xml,
                    receptor=IdentificacionJson(receptor.identificacion.tipo, receptor.identificacion.numero),
                    consecutivo_receptor=firmado.consecutivo,
                )
            ),
            observaciones=[
                {"codigo": str(w.cod), "descripcion": w.mensaje, "campo": w.campo or ""}
                for w in firmado.observaciones
            ],
        )

    def build_signed(self, model: ComprobanteIn, numero: int, empresa: EmpresaContext) -> ComprobanteFirmado:
        """Rules, totals, clave, XML and XAdES-EPES signature of one document."""
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        return emitir(
            model,
            self.emisor(empresa),
            empresa.certificate,
            numero=numero,
            ahora=self._clock(),
            proveedor_sistemas=self._proveedor,
            perfil=self._perfil,
        )

    def _prepared(
        self, firmado: ComprobanteFirmado, model: ComprobanteIn, serie: str, numero: int
    ) -> Prepared:
        resumen = firmado.calculo.resumen
        cliente_id: Identificacion | None
        nombre: str | None
        if model.tipo == "08":
            # In a factura de compra the counterpart is the seller (the XML Emisor).
            assert model.proveedor is not None
            contraparte = model.proveedor
            cliente_id = contraparte.identificacion
            nombre, correo = contraparte.nombre, (contraparte.correos[0] if contraparte.correos else None)
        else:
            receptor = model.receptor
            cliente_id = receptor.identificacion if receptor is not None else None
            nombre = receptor.nombre if receptor is not None else None
            correo = receptor.correo if receptor is not None else None
        return Prepared(
            id=firmado.clave,
            tipo=firmado.tipo,
            serie=serie,
            numero=numero,
            fecha_emision=firmado.fecha_emision.date(),
            moneda=resumen.moneda,
            total=fmt5(resumen.total_comprobante),
            totales=resumen.como_texto(),
            cliente_tipo=cliente_id.tipo if cliente_id is not None else None,
            cliente_numero=cliente_id.numero if cliente_id is not None else None,
            cliente_nombre=nombre,
            cliente_email=correo,
            xml_name=firmado.nombre_archivo,
            xml=firmado.xml,
            hash=firmado.hash,
            envio_name=f"{firmado.clave}.json",
            envio=_envio_json(
                Envio(
                    clave=firmado.clave,
                    fecha=firmado.fecha_emision,
                    emisor=IdentificacionJson(firmado.emisor.tipo, firmado.emisor.numero),
                    comprobante_xml=firmado.xml,
                    receptor=IdentificacionJson(firmado.receptor.tipo, firmado.receptor.numero)
                    if firmado.receptor is not None
                    else None,
                )
            ),
            observaciones=[
                {"codigo": str(w.cod), "descripcion": w.mensaje, "campo": w.campo or ""}
                for w in firmado.observaciones
            ],
        )

    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        signed = firmar_xml(xml, empresa.certificate, perfil=self._perfil, ahora=self._clock())
        return signed.xml, signed.digest_value

    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        """Sign and register a v4.4 comprobante the ERP built, clave and consecutivo included.

        The clave must be the company's (its identification in positions 10–21), agree with
        the NumeroConsecutivo and the document type, and the company must be the Emisor (the
        Receptor in a factura de compra, which the buyer issues).
        """
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        root = xmlsafe.parse_request(xml)
        formato, ns = _formato_de(root)
        lector = _Campos(ns)
        clave, consecutivo = _numeracion_xml(root, lector, formato, empresa)
        parte_propia = "Receptor" if formato.tipo == "08" else "Emisor"
        propia = lector.texto(root, f"{parte_propia}/Identificacion/Numero")
        if propia != empresa.identificacion:
            raise ValidationFailed(
                Issue(
                    CodigoCR.CLAVE_NO_ES_DEL_EMISOR,
                    f"{parte_propia}/Identificacion/Numero ({propia}) no es la empresa "
                    f"({empresa.identificacion})",
                    parte_propia,
                )
            )
        content_hash = hashlib.sha256(etree.tostring(root, method="c14n")).hexdigest()
        try:
            signed = xades.firmar_arbol(
                root, empresa.certificate, formato.rol_firmante, self._perfil, self._clock()
            )
        except xades.FirmaError as exc:
            raise ValidationFailed(Issue(Code.NO_SOPORTADO, str(exc))) from exc
        fecha = _fecha_xml(lector.texto(root, "FechaEmision"))
        emisor = _identificacion_xml(lector, root, "Emisor")
        if emisor is None:
            raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, "Falta Emisor/Identificacion", "Emisor"))
        receptor = _identificacion_xml(lector, root, "Receptor")
        contraparte = "Emisor" if formato.tipo == "08" else "Receptor"
        cliente = _identificacion_xml(lector, root, contraparte)
        totales = {
            api: _monto(lector.texto(root, f"ResumenFactura/{nombre}"))
            for nombre, api in _RESUMEN_API.items()
            if lector.texto(root, f"ResumenFactura/{nombre}") is not None
        }
        moneda = lector.texto(root, "ResumenFactura/CodigoTipoMoneda/CodigoMoneda") or "CRC"
        draft = Draft(
            tipo=formato.tipo,
            serie=consecutivo.texto[:8],
            numero=consecutivo.numero,
            content_hash=content_hash,
            model=None,
        )
        prepared = Prepared(
            id=clave,
            tipo=formato.tipo,
            serie=draft.serie,
            numero=consecutivo.numero,
            fecha_emision=fecha.date(),
            moneda=moneda,
            total=totales.get("total", "0.00000"),
            totales=totales,
            cliente_tipo=cliente.tipo if cliente is not None else None,
            cliente_numero=cliente.numero if cliente is not None else None,
            cliente_nombre=lector.texto(root, f"{contraparte}/Nombre"),
            cliente_email=lector.texto(root, f"{contraparte}/CorreoElectronico"),
            xml_name=f"{clave}.xml",
            xml=signed.xml,
            hash=signed.digest_value,
            envio_name=f"{clave}.json",
            envio=_envio_json(Envio(clave, fecha, emisor, signed.xml, receptor)),
        )
        return draft, prepared

    def document_title(self, tipo: str) -> str:
        return _titulo(tipo)

    # -- annulling ------------------------------------------------------------------------

    def void_kind(self, target: VoidTarget, today: dt.date) -> str:
        if target.tipo not in anulacion.ANULABLES:
            raise ValidationFailed(anulacion.no_anulable(target.tipo))
        if self._originales is None:
            raise ValidationFailed(
                Issue(Code.NO_SOPORTADO, "Esta instalación no tiene acceso a los documentos originales", "id")
            )
        return "03"

    def void_series(self, kind: str, today: dt.date) -> str:
        return serie_de(*self._serie_anulacion)

    def prepare_void(
        self,
        kind: str,
        targets: list[VoidTarget],
        motivo: str,
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        """The nota de crédito that annuls the one target, mirroring its lines and totals."""
        if kind != "03" or len(targets) != 1:
            raise ValidationFailed(Issue(Code.NO_SOPORTADO, "En Costa Rica se anula un comprobante a la vez"))
        target = targets[0]
        original = self._originales(target.id) if self._originales is not None else None
        if original is None:
            raise ValidationFailed(Issue(Code.NO_ENCONTRADO, f"No se encontró el XML de {target.id}", "id"))
        sucursal, terminal = self._serie_anulacion
        modelo, clave = anulacion.nota_de_anulacion(
            original, motivo, sucursal=sucursal, terminal=terminal, fecha=self._clock()
        )
        if clave != target.id:
            raise ValidationFailed(
                Issue(Code.NO_SOPORTADO, f"El XML guardado es de {clave}, no de {target.id}")
            )
        firmado = self.build_signed(modelo, numero, empresa)
        diferencias = anulacion.comparar_totales(original, firmado.xml)
        if diferencias:
            raise ValidationFailed(
                Issue(
                    Code.NO_SOPORTADO,
                    f"La nota de crédito no reproduce los totales de {clave} ({'; '.join(diferencias)}): "
                    "emita la nota por POST /v1/comprobantes",
                    "id",
                )
            )
        return self._prepared(firmado, modelo, self.void_series(kind, today), numero)

    # -- sending --------------------------------------------------------------------------

    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        account = self._account(empresa)
        if account is None:
            return _sin_credenciales()
        if empresa.ambiente not in self._environments:
            texto = f"Ambiente sin Hacienda configurada: {empresa.ambiente}"
            return Outcome(Estado.FALLIDO, _respuesta(str(Code.EMPRESA_INVALIDA), texto), detalle=texto)
        envio = _envio_de(doc.envio, self.callback_url(doc.id, empresa.ambiente))
        client = self.client(empresa.ambiente)
        answer = self._within_quota(lambda: client.enviar(account, envio))
        if isinstance(answer, Received):
            if answer.duplicate:
                detalle = f"Hacienda ya lo tenía ({answer.message}); se consulta su estado"
            else:
                detalle = f"recibido por Hacienda (HTTP {answer.status_code})"
            return Outcome(Estado.PENDIENTE, detalle=detalle)
        if isinstance(answer, RejectedAtReception):
            # Nothing was registered and the same bytes would be refused again.
            return Outcome(
                Estado.FALLIDO,
                _respuesta(str(answer.status_code), answer.cause),
                detalle=f"HTTP {answer.status_code} al recibir"
                + (" (validation-exception)" if answer.validation_exception else ""),
            )
        if isinstance(answer, RetryAfter):
            return Outcome(
                Estado.DESCONOCIDO,
                detalle=f"Hacienda limitó los envíos (429, reintentar en {answer.seconds:.0f} s): "
                f"{answer.detail}",
                retry_after=answer.seconds,
            )
        if isinstance(answer, UnknownOutcome):
            return Outcome(Estado.DESCONOCIDO, detalle=answer.detail)
        if isinstance(answer, NotSent):
            return Outcome(Estado.ERROR, detalle=answer.detail)
        return _sin_autorizacion(answer)

    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        account = self._account(empresa)
        if account is None or empresa.ambiente not in self._environments:
            return _sin_credenciales(Estado.ERROR)
        client = self.client(empresa.ambiente)
        answer = self._within_quota(lambda: client.consultar(account, doc.id))
        if isinstance(answer, Status):
            return self.outcome_from_status(answer, doc.id)
        if isinstance(answer, NeverArrived):
            return Outcome(
                Estado.REGISTRADO,
                detalle=f"Hacienda no tiene la clave (HTTP {answer.status_code}: {answer.cause}); se envía",
            )
        if isinstance(answer, RetryAfter):
            return Outcome(
                Estado.DESCONOCIDO,
                detalle=f"Hacienda limitó las consultas (429, reintentar en {answer.seconds:.0f} s)",
                retry_after=answer.seconds,
            )
        if isinstance(answer, QueryFailed):
            return Outcome(Estado.DESCONOCIDO, detalle=f"consulta sin respuesta: {answer.detail}")
        return _sin_autorizacion(answer)

    def outcome_from_status(self, status: Status, clave: str) -> Outcome:
        """What an ``ind-estado`` (a poll's answer or a callback's body) means for the document."""
        estado = status.ind_estado
        if estado in (IndEstado.RECIBIDO, IndEstado.PROCESANDO):
            return Outcome(Estado.PENDIENTE, detalle=f"Hacienda: {estado.value}")
        if estado is IndEstado.ERROR:
            return Outcome(
                Estado.ERROR,
                _respuesta("error", "Hacienda no pudo procesar el comprobante (ind-estado error)"),
                detalle="ind-estado error: se envía de nuevo con la misma clave",
            )
        mensaje = status.mensaje
        if mensaje is None:
            problema = status.respuesta_error or "sin respuesta-xml"
            return Outcome(
                Estado.DESCONOCIDO,
                detalle=f"Hacienda dice {estado.value} sin un MensajeHacienda legible: {problema}",
            )
        # A MensajeReceptor is known as ``clave-consecutivoReceptor``; Hacienda's answer
        # names the clave of the comprobante it answers (the first 50 characters).
        if mensaje.clave != clave.split("-", 1)[0]:
            return Outcome(
                Estado.DESCONOCIDO, detalle=f"MensajeHacienda de otra clave: {mensaje.clave} ≠ {clave}"
            )
        respuesta = _respuesta(
            mensaje.mensaje, mensaje.detalle_mensaje or mensaje.estado_mensaje or estado.value
        )
        # The signed MensajeHacienda is what the company keeps: it decides.
        if mensaje.mensaje == "3":
            return Outcome(Estado.RECHAZADO, respuesta, cdr=mensaje.xml, detalle=f"ind-estado {estado.value}")
        return Outcome(Estado.ACEPTADO, respuesta, cdr=mensaje.xml, detalle=f"ind-estado {estado.value}")


# -- helpers ----------------------------------------------------------------------------------


def _validation_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        issues.append(Issue(Code.CAMPO_INVALIDO, error["msg"], path or None))
    return issues


def _sin_credenciales(estado: Estado = Estado.FALLIDO) -> Outcome:
    texto = "La empresa no tiene usuario y clave del IDP de Hacienda (hacienda_usuario, hacienda_clave)"
    return Outcome(estado, _respuesta(str(Code.EMPRESA_INVALIDA), texto), detalle=texto)


def _sin_autorizacion(answer: AuthorizationFailed) -> Outcome:
    codigo = str(answer.status_code) if answer.status_code is not None else "401"
    return Outcome(Estado.ERROR, _respuesta(codigo, answer.detail), detalle=f"autorización: {answer.detail}")


def _envio_json(envio: Envio) -> bytes:
    return json.dumps(envio.to_json(), separators=(",", ":")).encode("ascii")


def _envio_de(stored: bytes, callback_url: str | None) -> Envio:
    """The stored ``POST /recepcion`` body, with this send's callback URL."""
    data = json.loads(stored)
    receptor = data.get("receptor")
    return Envio(
        clave=data["clave"],
        fecha=dt.datetime.fromisoformat(data["fecha"]),
        emisor=IdentificacionJson(
            data["emisor"]["tipoIdentificacion"], data["emisor"]["numeroIdentificacion"]
        ),
        comprobante_xml=base64.b64decode(data["comprobanteXml"]),
        receptor=IdentificacionJson(receptor["tipoIdentificacion"], receptor["numeroIdentificacion"])
        if receptor
        else None,
        callback_url=callback_url,
        consecutivo_receptor=data.get("consecutivoReceptor"),
    )


class _Campos:
    """Text of descendants of a v4.4 root by local-name paths in its namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def texto(self, root: etree._Element, ruta: str) -> str | None:
        node = root.find("/".join(f"{{{self.ns}}}{parte}" for parte in ruta.split("/")))
        return node.text.strip() if node is not None and node.text else None


def _formato_de(root: etree._Element) -> tuple[Formato, str]:
    qname = etree.QName(root)
    for formato in FORMATOS.values():
        if formato.raiz == qname.localname and formato.namespace == qname.namespace:
            return formato, formato.namespace
    raise ValidationFailed(
        Issue(
            Code.NO_SOPORTADO,
            f"{qname.localname} no es un comprobante v4.4 de Hacienda (FacturaElectronica, "
            "NotaDebitoElectronica, NotaCreditoElectronica, TiqueteElectronico, FacturaElectronicaCompra, "
            "FacturaElectronicaExportacion, ReciboElectronicoPago)",
        )
    )


def _numeracion_xml(
    root: etree._Element, lector: _Campos, formato: Formato, empresa: EmpresaContext
) -> tuple[str, Consecutivo]:
    clave = lector.texto(root, "Clave") or ""
    texto_consecutivo = lector.texto(root, "NumeroConsecutivo") or ""
    try:
        partes = Clave.parse(clave)
        consecutivo = Consecutivo.parse(texto_consecutivo)
        propia = identificacion_en_clave(empresa.identificacion)
    except ClaveError as exc:
        raise ValidationFailed(Issue(CodigoCR.NUMERACION_INVALIDA, str(exc), "Clave")) from exc
    if partes.consecutivo != consecutivo:
        raise ValidationFailed(
            Issue(
                CodigoCR.NUMERACION_INVALIDA, "La clave no contiene el NumeroConsecutivo", "NumeroConsecutivo"
            )
        )
    if consecutivo.tipo != formato.tipo:
        raise ValidationFailed(
            Issue(
                CodigoCR.NUMERACION_INVALIDA,
                f"El consecutivo es del tipo {consecutivo.tipo} y el documento es {formato.con_articulo}",
                "NumeroConsecutivo",
            )
        )
    if partes.emisor != propia:
        raise ValidationFailed(
            Issue(
                CodigoCR.CLAVE_NO_ES_DEL_EMISOR, "La clave no lleva la identificación de la empresa", "Clave"
            )
        )
    return clave, consecutivo


def _fecha_xml(texto: str | None) -> dt.datetime:
    try:
        return fecha_costa_rica(dt.datetime.fromisoformat(texto or ""))
    except ValueError as exc:
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, f"FechaEmision no es una fecha y hora: {texto!r}", "FechaEmision")
        ) from exc


def _identificacion_xml(lector: _Campos, root: etree._Element, parte: str) -> IdentificacionJson | None:
    tipo = lector.texto(root, f"{parte}/Identificacion/Tipo")
    numero = lector.texto(root, f"{parte}/Identificacion/Numero")
    return IdentificacionJson(tipo, numero) if tipo and numero else None


def _monto(texto: str | None) -> str:
    try:
        return fmt5(Decimal(texto or "0"))
    except InvalidOperation as exc:
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, f"Monto ilegible: {texto!r}", "ResumenFactura")
        ) from exc


def desde_configuracion(
    settings: Settings, http: httpx2.Client, db: Database, blobs: BlobStore
) -> HaciendaAuthority:
    """The authority as a runtime builds it: sandbox URL, callbacks to the public URL signed
    with keys derived from the master key, and the store for annulments."""
    return HaciendaAuthority(
        http,
        settings.resolved_sandbox_url,
        callback_base=settings.resolved_public_url,
        callback_keys=clave_callbacks(settings),
        originales=documentos_firmados(db, blobs),
    )
