"""Checks that refuse, before anything is built, what Hacienda would reject.

Three kinds of checks, each answered with a ``PSE-CR`` code (:mod:`.codes`), a Spanish
message and the JSON path of the field:

* what the v4.4 XSD would refuse (catalogue codes, cardinalities per document type, digits
  and decimals, the "obligatorio con el código 99" descriptions);
* what the XSD annotations and the v4.4 bitácora make mandatory although the schema does
  not (plazo of a credit sale, article of an exoneration 02/03/08, the IVA rate code, the
  data of the specific taxes, a reference on notes...);
* consistency OpenPSE needs to compute honest totals (one IVA per line, an exonerated rate
  not above the tax rate, payments that add up to the total, declared totals).

``revisar`` runs them all and returns the computed amounts, or raises
:class:`~openpse.core.errors.ValidationFailed` listing every problem at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from stdnum.cr import cpf, cpj
from stdnum.cr import cr as dimex

from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.clave import Clave, ClaveError, fecha_costa_rica
from openpse.authorities.hacienda.codes import CodigoCR
from openpse.authorities.hacienda.formatos import FORMATOS, Formato
from openpse.authorities.hacienda.models import (
    ComprobanteIn,
    Emisor,
    Identificacion,
    Impuesto,
    Item,
    MensajeReceptorIn,
    Receptor,
    Ubicacion,
)
from openpse.authorities.hacienda.totals import Calculo, LineaCalculada, calcular, tarifa_iva
from openpse.core.errors import Code, Issue, IssueCollector

TOLERANCIA_TOTALES = Decimal(1)
"""Declared totals may differ by ±1 (an ERP that rounds each line to cents), as on the SUNAT side."""
MAXIMO_DINERO = Decimal("9999999999999.99999")
ADELANTO_MAXIMO = dt.timedelta(minutes=10)
"""Clock skew tolerated between the ERP and OpenPSE before an issue date counts as future."""

# CorreoElectronico annotation: \s*\w+([-+.']\w+)*@\w+([-.]\w+)*\.\w+([-.]\w+)*\s* (Java \w is ASCII).
_CORREO = re.compile(r"\s*\w+([-+.']\w+)*@\w+([-.]\w+)*\.\w+([-.]\w+)*\s*", re.ASCII)
_FISICA = re.compile(r"[1-9]\d{8}")
_JURIDICA_ALFANUMERICA = re.compile(r"[0-9A-Z]{10}")
_DIMEX = re.compile(r"[1-9]\d{10,11}")
_NITE = re.compile(r"\d{10}")
_EXTRANJERO = re.compile(r"[0-9A-Za-z]{1,20}")
_CEDULA_RECEPTOR = re.compile(r"\d{9,12}")


_QUANTA = [Decimal(1).scaleb(-places) for places in range(6)]


def _demasiados_decimales(value: Decimal, maximo: int) -> bool:
    # Cheaper than inspecting as_tuple(): a value with more decimals changes when quantized.
    return value != value.quantize(_QUANTA[maximo])


@functools.lru_cache(maxsize=4096)
def _identificacion_valida(tipo: str, numero: str) -> str | None:
    """None when the number fits its type, else why not (Hacienda's "sin guiones ni ceros")."""
    if tipo == "01":
        if _FISICA.fullmatch(numero) and cpf.is_valid(numero):
            return None
        return "una cédula física tiene 9 dígitos, sin guiones ni cero inicial"
    if tipo == "02":
        if numero.isdigit():
            return (
                None
                if len(numero) == 10 and cpj.is_valid(numero)
                else "una cédula jurídica válida tiene 10 dígitos"
            )
        # April-2026 revision: alphanumeric cédulas jurídicas of the Registro Nacional.
        return None if _JURIDICA_ALFANUMERICA.fullmatch(numero) else "una cédula jurídica tiene 10 caracteres"
    if tipo == "03":
        if _DIMEX.fullmatch(numero) and dimex.is_valid(numero):
            return None
        return "un DIMEX tiene 11 o 12 dígitos, sin cero inicial"
    if tipo == "04":
        return None if _NITE.fullmatch(numero) else "un NITE tiene 10 dígitos"
    return None if _EXTRANJERO.fullmatch(numero) else "hasta 20 letras o dígitos, sin espacios ni guiones"


def _mayuscula(texto: str) -> str:
    return texto[0].upper() + texto[1:]


def _at(campo: str, sub: str) -> str:
    """The JSON path of a sub-field, built only when an issue is reported."""
    return f"{campo}.{sub}" if sub else campo


class _Reglas:
    """One run of the rules over a request; collects every issue."""

    def __init__(self, issues: IssueCollector) -> None:
        self.issues = issues

    def add(self, code: CodigoCR | Code, mensaje: str, campo: str) -> None:
        self.issues.add(code, mensaje, campo)

    def catalogo(
        self, valor: str | None, tabla: Mapping[str, object], nombre: str, campo: str, sub: str = ""
    ) -> bool:
        if valor is None or valor in tabla:
            return True
        self.add(CodigoCR.CODIGO_DESCONOCIDO, f"El código '{valor}' no existe en {nombre}", _at(campo, sub))
        return False

    def otro(
        self, codigo: str | None, descripcion: str | None, nombre: str, campo: str, sub: str = ""
    ) -> None:
        if codigo == "99" and not descripcion:
            self.add(
                CodigoCR.DESCRIPCION_OTRO_REQUERIDA,
                f"Con el código 99 («Otros») se debe describir puntualmente {nombre}",
                _at(campo, sub),
            )

    def no_aplica(self, formato: Formato, campo: str, que: str) -> None:
        self.add(CodigoCR.NO_APLICA, f"{que} no existe en {formato.con_articulo}", campo)

    def requerido(self, campo: str, mensaje: str) -> None:
        self.add(CodigoCR.REQUERIDO, mensaje, campo)

    def decimales(self, value: Decimal | None, maximo: int, campo: str, sub: str = "") -> None:
        if value is not None and _demasiados_decimales(value, maximo):
            self.add(
                CodigoCR.DEMASIADOS_DECIMALES,
                f"Se admiten como máximo {maximo} decimales: {value}",
                _at(campo, sub),
            )

    # -- parties -----------------------------------------------------------------

    def identificacion(self, ident: Identificacion, campo: str) -> None:
        if not self.catalogo(
            ident.tipo, catalogs.TIPOS_IDENTIFICACION, "la nota 4 (tipo de identificación)", campo, "tipo"
        ):
            return
        problema = _identificacion_valida(ident.tipo, ident.numero)
        if problema is not None:
            nombre = catalogs.TIPOS_IDENTIFICACION[ident.tipo]
            self.add(
                CodigoCR.IDENTIFICACION_INVALIDA,
                f"Número de identificación inválido para {nombre} ({ident.tipo}): {problema}",
                f"{campo}.numero",
            )

    def ubicacion(self, ubicacion: Ubicacion, campo: str) -> None:
        if not catalogs.ubicacion_valida(ubicacion.provincia, ubicacion.canton, ubicacion.distrito):
            self.add(
                CodigoCR.UBICACION_INVALIDA,
                f"La provincia {ubicacion.provincia}, cantón {ubicacion.canton}, "
                f"distrito {ubicacion.distrito} "
                "no existe en el anexo Codificacionubicacion_V4.4",
                campo,
            )

    def correo(self, correo: str, campo: str) -> None:
        if not _CORREO.fullmatch(correo):
            self.add(CodigoCR.CORREO_INVALIDO, f"Correo electrónico con formato inválido: {correo}", campo)

    def emisor(self, emisor: Emisor, formato: Formato, campo: str, propio: bool) -> None:
        """``propio``: the company itself (not the seller of a factura de compra)."""
        self.identificacion(emisor.identificacion, f"{campo}.identificacion")
        if propio and len(emisor.identificacion.numero) > 12:
            self.add(
                CodigoCR.EMISOR_NO_CABE_EN_CLAVE,
                "La identificación de quien emite va en 12 posiciones de la clave: máximo 12 caracteres",
                f"{campo}.identificacion.numero",
            )
        # The company's stored data holds everything; the builder writes only what each
        # document type has (the REP's Emisor is name, identification and e-mails).
        if emisor.ubicacion is not None:
            self.ubicacion(emisor.ubicacion, f"{campo}.ubicacion")
        elif formato.emisor_ubicacion_requerida and propio:
            self.requerido(
                f"{campo}.ubicacion", f"La ubicación del emisor es obligatoria en {formato.con_articulo}"
            )
        for index, correo in enumerate(emisor.correos):
            self.correo(correo, f"{campo}.correos[{index}]")
        if propio and formato.emisor_correo_requerido and not emisor.correos:
            self.requerido(
                f"{campo}.correos", f"{_mayuscula(formato.con_articulo)} exige al menos un correo del emisor"
            )

    def receptor(self, receptor: Receptor, formato: Formato, campo: str) -> None:
        if receptor.identificacion is not None:
            self.identificacion(receptor.identificacion, f"{campo}.identificacion")
        elif formato.receptor_identificacion_requerida:
            self.requerido(
                f"{campo}.identificacion",
                f"La identificación del receptor es obligatoria en {formato.con_articulo}",
            )
        if receptor.ubicacion is not None:
            if formato.receptor_ubicacion:
                self.ubicacion(receptor.ubicacion, f"{campo}.ubicacion")
            else:
                self.no_aplica(formato, f"{campo}.ubicacion", "La ubicación del receptor")
        if formato.reducido:
            for nombre, valor in (
                ("nombre_comercial", receptor.nombre_comercial),
                ("otras_senas_extranjero", receptor.otras_senas_extranjero),
                ("telefono", receptor.telefono),
            ):
                if valor is not None:
                    self.no_aplica(formato, f"{campo}.{nombre}", f"El campo {nombre} del receptor")
        if receptor.correo is not None:
            self.correo(receptor.correo, f"{campo}.correo")
        if receptor.codigo_actividad is not None and formato.actividad_receptor == "no":
            self.no_aplica(formato, f"{campo}.codigo_actividad", "El código de actividad del receptor")

    # -- lines -------------------------------------------------------------------

    def impuesto(self, impuesto: Impuesto, item: Item, formato: Formato, campo: str) -> None:
        codigo = impuesto.codigo
        if (
            codigo == "01"
            and impuesto.codigo_tarifa_iva in catalogs.TARIFAS_IVA
            and impuesto.tarifa is None
            and impuesto.codigo_otro is None
            and impuesto.factor_calculo_iva is None
            and impuesto.datos_especificos is None
            and impuesto.monto is None
            and impuesto.monto_exportacion is None
            and impuesto.exoneracion is None
            and item.iva_cobrado_fabrica is None
            and not item.no_sujeto
        ):
            # The usual tax, IVA at a rate of the catalogue: none of the checks below applies.
            return
        if not self.catalogo(
            codigo, catalogs.CODIGOS_IMPUESTO, "la nota 8 (código del impuesto)", campo, "codigo"
        ):
            return
        self.otro(codigo, impuesto.codigo_otro, "el impuesto", campo, "codigo_otro")
        self.decimales(impuesto.tarifa, 2, campo, "tarifa")
        self.decimales(impuesto.factor_calculo_iva, 4, campo, "factor_calculo_iva")
        self.decimales(impuesto.monto, 5, campo, "monto")
        if codigo in catalogs.IMPUESTOS_IVA:
            self._iva(impuesto, item, campo)
        else:
            self._no_iva(impuesto, formato, campo)
        if impuesto.monto_exportacion is not None and not formato.monto_exportacion:
            self.no_aplica(formato, f"{campo}.monto_exportacion", "El monto de exportación")
        if impuesto.exoneracion is not None:
            self._exoneracion(impuesto, item, formato, campo)

    def _iva(self, impuesto: Impuesto, item: Item, campo: str) -> None:
        if impuesto.codigo_tarifa_iva is None:
            if impuesto.codigo in ("01", "07"):
                self.add(
                    CodigoCR.TARIFA_IVA_REQUERIDA,
                    "El IVA exige el código de tarifa (nota 8.1): 08 para el 13 %, 10 para exento...",
                    f"{campo}.codigo_tarifa_iva",
                )
        elif self.catalogo(
            impuesto.codigo_tarifa_iva,
            catalogs.TARIFAS_IVA,
            "la nota 8.1 (tarifa del IVA)",
            campo,
            "codigo_tarifa_iva",
        ):
            tarifa = catalogs.TARIFAS_IVA[impuesto.codigo_tarifa_iva][0]
            if impuesto.tarifa is not None and impuesto.tarifa != tarifa:
                self.add(
                    CodigoCR.TARIFA_NO_CORRESPONDE,
                    f"La tarifa {impuesto.tarifa} no corresponde al código de tarifa "
                    f"{impuesto.codigo_tarifa_iva} "
                    f"({tarifa} %)",
                    f"{campo}.tarifa",
                )
        if impuesto.codigo == "08":
            if impuesto.factor_calculo_iva is None:
                self.add(
                    CodigoCR.FACTOR_REQUERIDO,
                    "El IVA de bienes usados (08) se calcula con el factor establecido por Hacienda",
                    f"{campo}.factor_calculo_iva",
                )
        elif impuesto.factor_calculo_iva is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "El factor de cálculo del IVA solo se usa con el impuesto 08 (bienes usados)",
                f"{campo}.factor_calculo_iva",
            )
        if impuesto.datos_especificos is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "Los datos de impuesto específico no se usan con el IVA",
                f"{campo}.datos_especificos",
            )
        if impuesto.monto is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "El monto del IVA lo calcula OpenPSE sobre la base imponible",
                f"{campo}.monto",
            )
        if item.iva_cobrado_fabrica == "02" and impuesto.codigo_tarifa_iva != catalogs.TARIFA_EXENTA:
            self.add(
                CodigoCR.IVA_FABRICA_EXENTO,
                "Con IVA cobrado a nivel de fábrica 02 el producto es exento: use la tarifa 10 "
                "o quite el IVA",
                f"{campo}.codigo_tarifa_iva",
            )
        if item.no_sujeto and (tarifa_iva(impuesto) or impuesto.factor_calculo_iva):
            self.add(
                CodigoCR.NO_SUJETO_CON_IVA,
                "Una línea no sujeta de IVA no puede cobrar IVA",
                f"{campo}.codigo_tarifa_iva",
            )

    def _no_iva(self, impuesto: Impuesto, formato: Formato, campo: str) -> None:
        codigo = impuesto.codigo
        if impuesto.codigo_tarifa_iva is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "El código de tarifa del IVA solo se usa con el IVA",
                f"{campo}.codigo_tarifa_iva",
            )
        if impuesto.factor_calculo_iva is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "El factor de cálculo del IVA solo se usa con el IVA 08",
                f"{campo}.factor_calculo_iva",
            )
        if codigo in catalogs.IMPUESTOS_ESPECIFICOS:
            if not formato.iva_fabrica:
                # The FEC and FEE lines have no DatosImpuestoEspecifico to compute it from.
                self.add(
                    Code.NO_SOPORTADO,
                    f"OpenPSE no emite el impuesto específico {codigo} en {formato.con_articulo}, "
                    "cuyas líneas no llevan DatosImpuestoEspecifico",
                    f"{campo}.codigo",
                )
                return
            datos = impuesto.datos_especificos
            if datos is None:
                self.add(
                    CodigoCR.DATOS_ESPECIFICOS_REQUERIDOS,
                    f"El impuesto {codigo} exige los datos del impuesto específico "
                    "(cantidad de la unidad de medida "
                    "e impuesto por unidad)",
                    f"{campo}.datos_especificos",
                )
                return
            self.decimales(datos.cantidad_unidad_medida, 2, campo, "datos_especificos.cantidad_unidad_medida")
            self.decimales(datos.impuesto_unidad, 5, campo, "datos_especificos.impuesto_unidad")
            self.decimales(datos.porcentaje, 2, campo, "datos_especificos.porcentaje")
            self.decimales(datos.proporcion, 5, campo, "datos_especificos.proporcion")
            self.decimales(datos.volumen_unidad_consumo, 2, campo, "datos_especificos.volumen_unidad_consumo")
            if codigo == "04":
                if datos.porcentaje is None:
                    self.requerido(
                        f"{campo}.datos_especificos.porcentaje", "El impuesto 04 exige el porcentaje"
                    )
                elif datos.proporcion is not None:
                    esperado = datos.cantidad_unidad_medida * datos.porcentaje / 100
                    if datos.proporcion != esperado:
                        self.add(
                            CodigoCR.PROPORCION_NO_CORRESPONDE,
                            f"La proporción debe ser cantidad de la unidad de medida × porcentaje: "
                            f"{esperado}",
                            f"{campo}.datos_especificos.proporcion",
                        )
            if codigo == "05" and datos.volumen_unidad_consumo is None:
                self.requerido(
                    f"{campo}.datos_especificos.volumen_unidad_consumo",
                    "El impuesto 05 exige el volumen por unidad de consumo",
                )
            if impuesto.tarifa is not None or impuesto.monto is not None:
                self.add(
                    CodigoCR.NO_APLICA,
                    f"El impuesto {codigo} se calcula con el impuesto por unidad, no con tarifa ni monto",
                    f"{campo}.tarifa",
                )
            return
        if impuesto.datos_especificos is not None:
            self.add(
                CodigoCR.NO_APLICA,
                "Los datos de impuesto específico solo se usan con los impuestos 03, 04, 05 y 06",
                f"{campo}.datos_especificos",
            )
        if codigo == "99":
            if impuesto.tarifa is None and impuesto.monto is None:
                self.add(
                    CodigoCR.TARIFA_REQUERIDA, "El impuesto 99 exige la tarifa o el monto", f"{campo}.tarifa"
                )
            elif impuesto.tarifa is not None and impuesto.monto is not None:
                self.add(
                    CodigoCR.NO_APLICA,
                    "Indique la tarifa o el monto del impuesto 99, no ambos",
                    f"{campo}.monto",
                )
            return
        if impuesto.tarifa is None:
            self.add(
                CodigoCR.TARIFA_REQUERIDA,
                f"El impuesto {codigo} se calcula con una tarifa, que falta",
                f"{campo}.tarifa",
            )
        if impuesto.monto is not None:
            self.add(
                CodigoCR.NO_APLICA, f"El monto del impuesto {codigo} lo calcula OpenPSE", f"{campo}.monto"
            )

    def _exoneracion(self, impuesto: Impuesto, item: Item, formato: Formato, campo: str) -> None:
        exoneracion = impuesto.exoneracion
        assert exoneracion is not None
        campo_ex = f"{campo}.exoneracion"
        if not formato.exoneracion:
            self.no_aplica(formato, campo_ex, "La exoneración")
            return
        if (
            impuesto.codigo in catalogs.IMPUESTOS_ESPECIFICOS
            or impuesto.codigo == "08"
            or (impuesto.codigo == "99" and impuesto.tarifa is None)
        ):
            self.add(
                Code.NO_SOPORTADO,
                "OpenPSE exonera impuestos con tarifa (IVA 01 y 07, 02, 12, 99 con tarifa); "
                f"no el {impuesto.codigo}",
                campo_ex,
            )
            return
        self.catalogo(
            exoneracion.tipo_documento,
            catalogs.TIPOS_DOCUMENTO_EXONERACION,
            "la nota 10.1 (tipo de documento de exoneración)",
            campo_ex,
            "tipo_documento",
        )
        self.otro(
            exoneracion.tipo_documento,
            exoneracion.tipo_documento_otro,
            "el documento",
            campo_ex,
            "tipo_documento_otro",
        )
        self.catalogo(
            exoneracion.nombre_institucion,
            catalogs.INSTITUCIONES,
            "la nota 23 (institución)",
            campo_ex,
            "nombre_institucion",
        )
        self.otro(
            exoneracion.nombre_institucion,
            exoneracion.nombre_institucion_otros,
            "la institución",
            campo_ex,
            "nombre_institucion_otros",
        )
        if exoneracion.tipo_documento in catalogs.EXONERACIONES_CON_ARTICULO and exoneracion.articulo is None:
            self.add(
                CodigoCR.ARTICULO_REQUERIDO,
                f"La exoneración de tipo {exoneracion.tipo_documento} exige el número de artículo "
                "que la establece",
                f"{campo_ex}.articulo",
            )
        if exoneracion.articulo is not None and exoneracion.inciso is None:
            self.add(
                CodigoCR.INCISO_REQUERIDO,
                "Cuando se indica el artículo de la exoneración también se indica el inciso",
                f"{campo_ex}.inciso",
            )
        self.decimales(exoneracion.tarifa_exonerada, 2, campo_ex, "tarifa_exonerada")
        tarifa = tarifa_iva(impuesto) if impuesto.codigo in catalogs.IMPUESTOS_IVA else impuesto.tarifa
        if tarifa is not None and (not tarifa or exoneracion.tarifa_exonerada > tarifa):
            self.add(
                CodigoCR.TARIFA_EXONERADA_EXCEDE,
                f"La tarifa exonerada ({exoneracion.tarifa_exonerada}) no puede superar la tarifa "
                f"del impuesto ({tarifa})"
                if tarifa
                else "No se exonera un impuesto con tarifa 0 %",
                f"{campo_ex}.tarifa_exonerada",
            )
        if item.no_sujeto:
            self.add(CodigoCR.NO_SUJETO_CON_IVA, "Una línea no sujeta de IVA no lleva exoneración", campo_ex)

    def item(self, item: Item, formato: Formato, campo: str) -> None:
        if formato.linea == "recibo":
            self._item_recibo(item, formato, campo)
            return
        if item.cabys is None and formato.cabys_requerido:
            self.requerido(f"{campo}.cabys", "El código CAByS (13 dígitos) es obligatorio en cada línea")
        if item.partida_arancelaria is not None and not formato.partida_arancelaria:
            self.no_aplica(formato, f"{campo}.partida_arancelaria", "La partida arancelaria")
        if item.tipo_transaccion is not None:
            if formato.tipo_transaccion:
                self.catalogo(
                    item.tipo_transaccion,
                    catalogs.TIPOS_TRANSACCION,
                    "los tipos de transacción",
                    campo,
                    "tipo_transaccion",
                )
            else:
                self.no_aplica(formato, f"{campo}.tipo_transaccion", "El tipo de transacción")
        for index, codigo in enumerate(item.codigos_comerciales):
            self.catalogo(
                codigo.tipo,
                catalogs.CODIGOS_COMERCIALES,
                "la nota 12 (código comercial)",
                f"{campo}.codigos_comerciales[{index}].tipo",
            )
        if item.unidad not in catalogs.unidades_medida():
            parecidas = [u for u in catalogs.unidades_medida() if u.lower() == item.unidad.lower()]
            sugerencia = (
                f"; las unidades distinguen mayúsculas: ¿{' o '.join(parecidas)}?" if parecidas else ""
            )
            self.add(
                CodigoCR.CODIGO_DESCONOCIDO,
                f"La unidad de medida '{item.unidad}' no existe en la RTC 443:2010 de Hacienda{sugerencia}",
                f"{campo}.unidad",
            )
        if item.forma_farmaceutica is not None:
            self.catalogo(
                item.forma_farmaceutica,
                catalogs.formas_farmaceuticas(),
                "la nota 9 (forma farmacéutica)",
                campo,
                "forma_farmaceutica",
            )
        self.decimales(item.cantidad, 3, campo, "cantidad")
        self.decimales(item.precio_unitario, 5, campo, "precio_unitario")
        for index, descuento in enumerate(item.descuentos):
            campo_d = f"{campo}.descuentos[{index}]"
            if (descuento.monto is None) == (descuento.porcentaje is None):
                self.add(
                    CodigoCR.DESCUENTO_AMBIGUO,
                    "Indique el monto o el porcentaje del descuento (uno de los dos)",
                    campo_d,
                )
            self.decimales(descuento.monto, 5, campo_d, "monto")
            self.catalogo(
                descuento.codigo,
                catalogs.CODIGOS_DESCUENTO,
                "la nota 20 (código de descuento)",
                campo_d,
                "codigo",
            )
            self.otro(descuento.codigo, descuento.codigo_otro, "el descuento", campo_d, "codigo_otro")
        if (
            item.iva_cobrado_fabrica is not None
            or item.base_imponible is not None
            or item.impuesto_asumido_emisor_fabrica is not None
        ):
            self._fabrica(item, formato, campo)
        if item.no_sujeto and formato.linea == "exportacion":
            self.no_aplica(formato, f"{campo}.no_sujeto", "El total no sujeto")
        if not item.impuestos:
            self.add(
                CodigoCR.IMPUESTO_REQUERIDO,
                "Cada línea lleva al menos un impuesto; para una línea exenta use el IVA (01) "
                "con código de tarifa 10",
                f"{campo}.impuestos",
            )
        ivas = 0
        for index, impuesto in enumerate(item.impuestos):
            ivas += impuesto.codigo in catalogs.IMPUESTOS_IVA
            self.impuesto(impuesto, item, formato, f"{campo}.impuestos[{index}]")
            if (
                formato.linea == "exportacion"
                and (tarifa_iva(impuesto) or 0) > 0
                and impuesto.codigo in catalogs.IMPUESTOS_IVA
            ):
                self.issues.warn(
                    CodigoCR.EXPORTACION_CON_IVA,
                    "Las exportaciones tienen tarifa 0 % (artículo 32, numeral 1, RLIVA): "
                    "revise el IVA de la línea",
                    f"{campo}.impuestos[{index}]",
                )
        if ivas > 1:
            self.add(
                CodigoCR.IVA_DUPLICADO,
                "Una línea lleva un solo IVA (códigos 01, 07 u 08)",
                f"{campo}.impuestos",
            )

    def _fabrica(self, item: Item, formato: Formato, campo: str) -> None:
        if not formato.iva_fabrica:
            for nombre, valor in (
                ("iva_cobrado_fabrica", item.iva_cobrado_fabrica),
                ("impuesto_asumido_emisor_fabrica", item.impuesto_asumido_emisor_fabrica),
            ):
                if valor is not None:
                    self.no_aplica(formato, f"{campo}.{nombre}", f"El campo {nombre}")
        elif item.iva_cobrado_fabrica is not None:
            self.catalogo(
                item.iva_cobrado_fabrica,
                catalogs.IVA_COBRADO_FABRICA,
                "los códigos de IVA cobrado a nivel de fábrica",
                campo,
                "iva_cobrado_fabrica",
            )
        if item.base_imponible is not None:
            editable = item.iva_cobrado_fabrica == "01" or any(i.codigo == "07" for i in item.impuestos)
            if formato.linea == "exportacion":
                self.no_aplica(formato, f"{campo}.base_imponible", "La base imponible")
            elif not editable:
                self.add(
                    CodigoCR.BASE_IMPONIBLE_NO_EDITABLE,
                    "La base imponible solo se indica con IVA cobrado a nivel de fábrica 01 "
                    "o con el impuesto 07; "
                    "en los demás casos la calcula OpenPSE",
                    f"{campo}.base_imponible",
                )
            elif item.base_imponible <= 0:
                self.add(
                    CodigoCR.BASE_IMPONIBLE_INVALIDA,
                    "La base imponible indicada debe ser mayor que cero",
                    f"{campo}.base_imponible",
                )
            self.decimales(item.base_imponible, 5, campo, "base_imponible")
        self.decimales(item.impuesto_asumido_emisor_fabrica, 5, campo, "impuesto_asumido_emisor_fabrica")

    def _item_recibo(self, item: Item, formato: Formato, campo: str) -> None:
        for nombre, presente in (
            ("cabys", item.cabys is not None),
            ("partida_arancelaria", item.partida_arancelaria is not None),
            ("codigos_comerciales", bool(item.codigos_comerciales)),
            ("tipo_transaccion", item.tipo_transaccion is not None),
            ("unidad_comercial", item.unidad_comercial is not None),
            ("numeros_vin_serie", bool(item.numeros_vin_serie)),
            ("registro_medicamento", item.registro_medicamento is not None),
            ("forma_farmaceutica", item.forma_farmaceutica is not None),
            ("descuentos", bool(item.descuentos)),
            ("iva_cobrado_fabrica", item.iva_cobrado_fabrica is not None),
            ("base_imponible", item.base_imponible is not None),
            ("impuesto_asumido_emisor_fabrica", item.impuesto_asumido_emisor_fabrica is not None),
            ("no_sujeto", item.no_sujeto),
        ):
            if presente:
                self.no_aplica(formato, f"{campo}.{nombre}", f"El campo {nombre} de la línea")
        self.decimales(item.cantidad, 3, campo, "cantidad")
        self.decimales(item.precio_unitario, 5, campo, "precio_unitario")
        ivas = 0
        for index, impuesto in enumerate(item.impuestos):
            ivas += impuesto.codigo in catalogs.IMPUESTOS_IVA
            campo_i = f"{campo}.impuestos[{index}]"
            if impuesto.codigo in catalogs.IMPUESTOS_ESPECIFICOS or impuesto.datos_especificos is not None:
                self.no_aplica(formato, campo_i, "Un impuesto específico")
                continue
            self.impuesto(impuesto, item, formato, campo_i)
        if ivas > 1:
            self.add(
                CodigoCR.IVA_DUPLICADO,
                "Una línea lleva un solo IVA (códigos 01, 07 u 08)",
                f"{campo}.impuestos",
            )

    def linea_calculada(self, linea: LineaCalculada, formato: Formato, campo: str) -> None:
        if linea.total_descuentos > linea.monto_total:
            self.add(
                CodigoCR.DESCUENTO_EXCEDE_MONTO,
                f"Los descuentos ({linea.total_descuentos}) superan el monto total de la línea "
                f"({linea.monto_total})",
                f"{campo}.descuentos",
            )
        if linea.impuesto_asumido:
            cobrado = sum((i.neto for i in linea.impuestos), Decimal(0))
            if linea.impuesto_asumido > cobrado:
                self.add(
                    CodigoCR.IMPUESTO_ASUMIDO_EXCEDE,
                    f"El impuesto asumido ({linea.impuesto_asumido}) supera el impuesto "
                    f"de la línea ({cobrado})",
                    f"{campo}.impuesto_asumido_emisor_fabrica",
                )
        for nombre, valor in (
            ("monto_total", linea.monto_total),
            ("monto_total_linea", linea.monto_total_linea),
        ):
            if valor > MAXIMO_DINERO:
                self.add(CodigoCR.MONTO_EXCEDE_FORMATO, f"El {nombre} excede 13 enteros: {valor}", campo)


def reglas_emisor(emisor: Emisor, issues: IssueCollector) -> None:
    """The checks of a company as the Emisor of a factura (when the company is registered)."""
    _Reglas(issues).emisor(emisor, FORMATOS["01"], "emisor", propio=True)


@dataclass(frozen=True)
class Revision:
    """The computed amounts of a valid request and Hacienda-style observations."""

    calculo: Calculo
    observaciones: tuple[Issue, ...]


def _fecha(comprobante: ComprobanteIn, ahora: dt.datetime) -> dt.datetime:
    return fecha_costa_rica(comprobante.fecha_emision or ahora)


def revisar(comprobante: ComprobanteIn, emisor: Emisor, ahora: dt.datetime) -> Revision:
    """Apply every rule; compute lines and totals. Raises ValidationFailed with all issues."""
    issues = IssueCollector()
    reglas = _Reglas(issues)
    formato = FORMATOS[comprobante.tipo]
    fecha = _fecha(comprobante, ahora)
    if fecha > fecha_costa_rica(ahora) + ADELANTO_MAXIMO:
        reglas.add(
            CodigoCR.FECHA_FUTURA,
            f"La fecha de emisión {fecha.isoformat()} está en el futuro",
            "fecha_emision",
        )
    _partes(comprobante, emisor, formato, reglas)
    _condiciones(comprobante, formato, reglas)
    for index, item in enumerate(comprobante.items):
        reglas.item(item, formato, f"items[{index}]")
    _cargos(comprobante, formato, reglas)
    _referencias(comprobante, formato, fecha, reglas)
    for index, item in enumerate(comprobante.items):
        for i_index, impuesto in enumerate(item.impuestos):
            if (
                impuesto.exoneracion is not None
                and fecha_costa_rica(impuesto.exoneracion.fecha_emision) > fecha
            ):
                reglas.add(
                    CodigoCR.FECHA_EXONERACION_POSTERIOR,
                    "La exoneración no puede ser posterior a la emisión del comprobante",
                    f"items[{index}].impuestos[{i_index}].exoneracion.fecha_emision",
                )
    issues.raise_if_any()
    calculo = calcular(comprobante)
    for index, linea in enumerate(calculo.lineas):
        reglas.linea_calculada(linea, formato, f"items[{index}]")
    _resumen(comprobante, calculo, formato, reglas)
    issues.raise_if_any()
    return Revision(calculo=calculo, observaciones=tuple(issues.warnings))


def _partes(comprobante: ComprobanteIn, emisor: Emisor, formato: Formato, reglas: _Reglas) -> None:
    if formato.tipo == "08":
        # The company buys: it is the XML Receptor and signs; the seller is the XML Emisor.
        if comprobante.proveedor is None:
            reglas.requerido("proveedor", "La factura de compra exige los datos del vendedor (proveedor)")
        else:
            reglas.emisor(comprobante.proveedor, formato, "proveedor", propio=False)
        if comprobante.receptor is not None:
            reglas.add(
                CodigoCR.NO_APLICA,
                "En la factura de compra el receptor es la empresa que compra; "
                "indique al vendedor en «proveedor»",
                "receptor",
            )
        reglas.identificacion(emisor.identificacion, "emisor.identificacion")
        if len(emisor.identificacion.numero) > 12:
            reglas.add(
                CodigoCR.EMISOR_NO_CABE_EN_CLAVE,
                "La identificación no cabe en la clave (máximo 12)",
                "emisor.identificacion.numero",
            )
        for index, correo in enumerate(emisor.correos):
            reglas.correo(correo, f"emisor.correos[{index}]")
        if emisor.ubicacion is not None:
            reglas.ubicacion(emisor.ubicacion, "emisor.ubicacion")
        if (comprobante.codigo_actividad or emisor.codigo_actividad) is None:
            reglas.requerido(
                "codigo_actividad",
                "La factura de compra exige la actividad económica de la empresa compradora",
            )
        return
    if comprobante.proveedor is not None:
        reglas.no_aplica(formato, "proveedor", "El proveedor (solo en la factura de compra)")
    reglas.emisor(emisor, formato, "emisor", propio=True)
    if formato.actividad_emisor and (comprobante.codigo_actividad or emisor.codigo_actividad) is None:
        reglas.requerido(
            "codigo_actividad",
            f"{_mayuscula(formato.con_articulo)} exige el código de actividad económica del emisor",
        )
    if comprobante.receptor is None:
        if formato.receptor_requerido:
            reglas.requerido("receptor", f"{_mayuscula(formato.con_articulo)} exige los datos del receptor")
    else:
        reglas.receptor(comprobante.receptor, formato, "receptor")


def _condiciones(comprobante: ComprobanteIn, formato: Formato, reglas: _Reglas) -> None:
    condicion = comprobante.condicion_venta
    conocida = reglas.catalogo(
        condicion, catalogs.CONDICIONES_VENTA, "la nota 5 (condición de venta)", "condicion_venta"
    )
    if conocida and condicion not in catalogs.CONDICIONES_POR_TIPO[formato.tipo]:
        permitidas = ", ".join(sorted(catalogs.CONDICIONES_POR_TIPO[formato.tipo]))
        reglas.add(
            CodigoCR.CONDICION_VENTA_INVALIDA,
            f"La condición de venta {condicion} no se admite en {formato.con_articulo} ({permitidas})",
            "condicion_venta",
        )
    reglas.otro(
        condicion, comprobante.condicion_venta_otros, "la condición de venta", "condicion_venta_otros"
    )
    if condicion in catalogs.CONDICIONES_CREDITO and comprobante.plazo_credito is None:
        reglas.add(
            CodigoCR.PLAZO_CREDITO_REQUERIDO,
            "El plazo del crédito es obligatorio cuando la venta es a crédito",
            "plazo_credito",
        )
    if comprobante.moneda not in catalogs.monedas():
        reglas.add(
            CodigoCR.CODIGO_DESCONOCIDO, f"La moneda {comprobante.moneda} no existe en ISO 4217", "moneda"
        )
    if comprobante.moneda == "CRC":
        if comprobante.tipo_cambio is not None and comprobante.tipo_cambio != 1:
            reglas.add(CodigoCR.TIPO_CAMBIO_INVALIDO, "En colones el tipo de cambio es 1", "tipo_cambio")
    elif comprobante.tipo_cambio is None:
        reglas.add(
            CodigoCR.TIPO_CAMBIO_REQUERIDO,
            f"Un comprobante en {comprobante.moneda} exige el tipo de cambio a colones",
            "tipo_cambio",
        )
    reglas.decimales(comprobante.tipo_cambio, 5, "tipo_cambio")
    medios = comprobante.medios_pago
    for index, medio in enumerate(medios):
        reglas.catalogo(
            medio.tipo, catalogs.MEDIOS_PAGO, "la nota 6 (medio de pago)", f"medios_pago[{index}].tipo"
        )
        reglas.otro(medio.tipo, medio.otro, "el medio de pago", f"medios_pago[{index}].otro")
        reglas.decimales(medio.monto, 5, f"medios_pago[{index}].monto")
        if len(medios) > 1 and medio.monto is None:
            reglas.add(
                CodigoCR.MONTO_MEDIO_PAGO_REQUERIDO,
                "Con más de un medio de pago se indica el monto de cada uno",
                f"medios_pago[{index}].monto",
            )
    if formato.tipo == "10" and not medios:
        reglas.requerido("medios_pago", "El recibo electrónico de pago exige al menos un medio de pago")
    elif condicion == "01" and not medios and formato.tipo in ("01", "04"):
        reglas.issues.warn(
            CodigoCR.CONTADO_SIN_MEDIO_PAGO,
            "Venta de contado sin medio de pago: conviene indicar cómo se pagó",
            "medios_pago",
        )
    if comprobante.iva_devuelto is not None:
        if formato.resumen != "completo":
            reglas.no_aplica(formato, "iva_devuelto", "El IVA devuelto")
        elif not any(m.tipo == "02" for m in medios):
            reglas.add(
                CodigoCR.IVA_DEVUELTO_SIN_TARJETA,
                "El IVA se devuelve solo en pagos con tarjeta (medio de pago 02)",
                "iva_devuelto",
            )
        reglas.decimales(comprobante.iva_devuelto, 5, "iva_devuelto")
    if comprobante.otros and formato.reducido:
        reglas.no_aplica(formato, "otros", "El elemento Otros")


def _cargos(comprobante: ComprobanteIn, formato: Formato, reglas: _Reglas) -> None:
    if comprobante.otros_cargos and formato.reducido:
        reglas.no_aplica(formato, "otros_cargos", "Otros cargos")
        return
    for index, cargo in enumerate(comprobante.otros_cargos):
        campo = f"otros_cargos[{index}]"
        reglas.catalogo(
            cargo.tipo_documento,
            catalogs.TIPOS_OTROS_CARGOS,
            "la nota 16 (otros cargos)",
            campo,
            "tipo_documento",
        )
        reglas.otro(
            cargo.tipo_documento, cargo.tipo_documento_otros, "el cargo", campo, "tipo_documento_otros"
        )
        if cargo.tipo_documento == "04" and cargo.tercero is None:
            reglas.add(
                CodigoCR.TERCERO_REQUERIDO,
                "El cobro a favor de un tercero exige sus datos",
                f"{campo}.tercero",
            )
        if cargo.tercero is not None:
            reglas.identificacion(cargo.tercero.identificacion, f"{campo}.tercero.identificacion")
        if cargo.monto is None and cargo.porcentaje is None:
            reglas.add(CodigoCR.MONTO_CARGO_REQUERIDO, "Indique el monto o el porcentaje del cargo", campo)
        reglas.decimales(cargo.monto, 5, campo, "monto")
        reglas.decimales(cargo.porcentaje, 5, campo, "porcentaje")


def _referencias(comprobante: ComprobanteIn, formato: Formato, fecha: dt.datetime, reglas: _Reglas) -> None:
    if formato.referencia_requerida and not comprobante.referencias:
        reglas.add(
            CodigoCR.REFERENCIA_REQUERIDA,
            f"{_mayuscula(formato.con_articulo)} exige al menos una referencia al documento que "
            "afecta o paga",
            "referencias",
        )
    for index, ref in enumerate(comprobante.referencias):
        campo = f"referencias[{index}]"
        reglas.catalogo(
            ref.tipo_documento,
            catalogs.TIPOS_DOCUMENTO_REFERENCIA,
            "la nota 10 (tipo de documento)",
            campo,
            "tipo_documento",
        )
        reglas.otro(ref.tipo_documento, ref.tipo_documento_otro, "el documento", campo, "tipo_documento_otro")
        if ref.codigo is not None:
            conocido = reglas.catalogo(
                ref.codigo, catalogs.CODIGOS_REFERENCIA, "la nota 9 (código de referencia)", campo, "codigo"
            )
            if conocido and ref.codigo == "17" and formato.tipo != "10":
                reglas.add(
                    CodigoCR.CODIGO_DESCONOCIDO,
                    "El código 17 (pago a comprobante electrónico) solo existe en el recibo "
                    "electrónico de pago",
                    f"{campo}.codigo",
                )
        elif formato.tipo in ("02", "03"):
            reglas.requerido(
                f"{campo}.codigo", "Una nota exige el código de referencia (01 anula, 02 corrige texto...)"
            )
        reglas.otro(ref.codigo, ref.codigo_otro, "el código de referencia", campo, "codigo_otro")
        if ref.tipo_documento in catalogs.REFERENCIAS_ELECTRONICAS:
            if ref.numero is None:
                reglas.requerido(
                    f"{campo}.numero", "La referencia a un comprobante electrónico exige su clave"
                )
            else:
                try:
                    Clave.parse(ref.numero)
                except ClaveError as exc:
                    reglas.add(CodigoCR.CLAVE_REFERENCIA_INVALIDA, str(exc), f"{campo}.numero")
        elif formato.tipo == "10" and ref.numero is None:
            reglas.requerido(
                f"{campo}.numero", "El recibo electrónico de pago exige el número del documento pagado"
            )
        if fecha_costa_rica(ref.fecha_emision) > fecha:
            reglas.add(
                CodigoCR.FECHA_REFERENCIA_POSTERIOR,
                "El documento de referencia no puede ser posterior al comprobante",
                f"{campo}.fecha_emision",
            )
    if comprobante.situacion == "2" and not any(r.tipo_documento == "08" for r in comprobante.referencias):
        reglas.add(
            CodigoCR.REFERENCIA_CONTINGENCIA,
            "Un comprobante en contingencia (situación 2) referencia el comprobante provisional "
            "(tipo 08, código 05)",
            "referencias",
        )


def _resumen(comprobante: ComprobanteIn, calculo: Calculo, formato: Formato, reglas: _Reglas) -> None:
    resumen = calculo.resumen
    if resumen.total_comprobante > MAXIMO_DINERO or resumen.total_venta > MAXIMO_DINERO:
        reglas.add(CodigoCR.MONTO_EXCEDE_FORMATO, "El total del comprobante excede 13 enteros", "items")
    pagado = sum((m.monto for m in resumen.medios_pago), Decimal(0))
    if resumen.medios_pago:
        exacto = comprobante.condicion_venta == "01" or formato.tipo == "10"
        if (exacto and pagado != resumen.total_comprobante) or pagado > resumen.total_comprobante:
            reglas.add(
                CodigoCR.MEDIOS_PAGO_NO_CUADRAN,
                f"Los medios de pago suman {pagado} y el comprobante {resumen.total_comprobante}",
                "medios_pago",
            )
    if comprobante.iva_devuelto:
        iva = sum((d.total for d in resumen.desglose if d.codigo in catalogs.IMPUESTOS_IVA), Decimal(0))
        if resumen.total_iva_devuelto > iva:
            reglas.add(
                CodigoCR.IVA_DEVUELTO_EXCEDE,
                f"El IVA devuelto ({resumen.total_iva_devuelto}) supera el IVA cobrado ({iva})",
                "iva_devuelto",
            )
    declarados = comprobante.totales
    if declarados is None:
        return
    for nombre, calculado in (
        ("total_venta", resumen.total_venta),
        ("total_descuentos", resumen.total_descuentos),
        ("total_venta_neta", resumen.total_venta_neta),
        ("total_impuesto", resumen.total_impuesto),
        ("total_otros_cargos", resumen.total_otros_cargos),
        ("total_comprobante", resumen.total_comprobante),
    ):
        declarado = getattr(declarados, nombre)
        if declarado is not None and abs(declarado - calculado) > TOLERANCIA_TOTALES:
            reglas.add(
                Code.TOTALES_NO_CUADRAN,
                f"{nombre}: el ERP declara {declarado} y OpenPSE calcula {calculado}",
                f"totales.{nombre}",
            )


def revisar_mensaje(
    mensaje: MensajeReceptorIn, receptor: Emisor, ahora: dt.datetime
) -> tuple[str, tuple[Issue, ...]]:
    """Rules of a MensajeReceptor; returns the receiver's identification and observations."""
    issues = IssueCollector()
    reglas = _Reglas(issues)
    cedula = receptor.identificacion.numero
    if not _CEDULA_RECEPTOR.fullmatch(cedula):
        reglas.add(
            CodigoCR.CEDULA_RECEPTOR_INVALIDA,
            "NumeroCedulaReceptor del mensaje admite de 9 a 12 dígitos",
            "emisor.identificacion.numero",
        )
    else:
        reglas.identificacion(receptor.identificacion, "emisor.identificacion")
    try:
        clave = Clave.parse(mensaje.clave)
    except ClaveError as exc:
        reglas.add(CodigoCR.CLAVE_REFERENCIA_INVALIDA, str(exc), "clave")
    else:
        if clave.emisor.lstrip("0") != mensaje.numero_cedula_emisor.lstrip("0").upper():
            reglas.add(
                CodigoCR.CLAVE_NO_ES_DEL_EMISOR,
                f"La clave pertenece al emisor {clave.emisor.lstrip('0')}, "
                f"no a {mensaje.numero_cedula_emisor}",
                "numero_cedula_emisor",
            )
    fecha = fecha_costa_rica(mensaje.fecha_emision or ahora)
    if fecha > fecha_costa_rica(ahora) + ADELANTO_MAXIMO:
        reglas.add(CodigoCR.FECHA_FUTURA, "La fecha del mensaje está en el futuro", "fecha_emision")
    reglas.catalogo(
        mensaje.tipo_identificacion_emisor,
        catalogs.TIPOS_IDENTIFICACION,
        "la nota 4 (tipo de identificación)",
        "tipo_identificacion_emisor",
    )
    for nombre in (
        "monto_total_impuesto",
        "monto_total_impuesto_acreditar",
        "monto_total_gasto_aplicable",
        "total_factura",
    ):
        reglas.decimales(getattr(mensaje, nombre), 5, nombre)
    impuesto = mensaje.monto_total_impuesto
    if impuesto is not None and impuesto > mensaje.total_factura:
        reglas.add(
            CodigoCR.IMPUESTO_EXCEDE_TOTAL,
            "El impuesto no puede superar el total de la factura",
            "monto_total_impuesto",
        )
    condicion = mensaje.condicion_impuesto
    reglas.catalogo(
        condicion, catalogs.CONDICIONES_IMPUESTO, "las condiciones del impuesto", "condicion_impuesto"
    )
    acreditar = mensaje.monto_total_impuesto_acreditar
    if condicion in ("02", "05") and acreditar is None:
        reglas.requerido(
            "monto_total_impuesto_acreditar",
            "Con crédito parcial (02) o proporcionalidad (05) se indica el impuesto a acreditar",
        )
    if acreditar is not None:
        if condicion == "04" and acreditar > 0:
            reglas.add(
                CodigoCR.GASTO_SIN_CREDITO,
                "Un gasto corriente (04) no genera crédito de IVA",
                "monto_total_impuesto_acreditar",
            )
        if acreditar > (impuesto or Decimal(0)):
            reglas.add(
                CodigoCR.IMPUESTO_ACREDITAR_EXCEDE,
                "El impuesto a acreditar no puede superar el impuesto del comprobante",
                "monto_total_impuesto_acreditar",
            )
    if mensaje.mensaje == 3 and not mensaje.detalle_mensaje:
        reglas.issues.warn(
            CodigoCR.RECHAZO_SIN_DETALLE,
            "Un rechazo debería explicar el motivo en detalle_mensaje",
            "detalle_mensaje",
        )
    issues.raise_if_any()
    return cedula, tuple(issues.warnings)
