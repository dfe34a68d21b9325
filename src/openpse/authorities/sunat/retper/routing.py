"""One Peruvian authority for every SUNAT document: each tipo to the class that handles it.

Guías de remisión (09, 31) go to :class:`~openpse.authorities.sunat.guias.authority.GuiaAuthority`
(built here, sent to the GRE REST platform).

The core asks for one authority per country (``Runtime.authority("PE")``). Facturas,
boletas and notes (01, 03, 07, 08) are built and sent by
:class:`~openpse.authorities.sunat.authority.SunatAuthority`; retenciones (20) and
percepciones (40) by :class:`~openpse.authorities.sunat.retper.authority.RetPerAuthority`,
because they are other documents (UBL 2.0), sent to another service. This router
picks one by the ``tipo`` of the request or of the stored document, by the root element
of a client-built XML, or by the kind of annulment document (RR, the Resumen de
reversiones, is the retenciones' and percepciones'; RA and RC the facturas' and boletas').
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from openpse.authorities.base import (
    Authority,
    Draft,
    EmpresaContext,
    Outcome,
    Prepared,
    RegistryLookup,
    Submission,
    SummaryTarget,
    VoidTarget,
)
from openpse.authorities.sunat.guias.ubl import DESPATCH_ADVICE
from openpse.authorities.sunat.retper.kinds import KINDS
from openpse.core import xmlsafe
from openpse.core.errors import Issue

_RETPER_ROOTS = frozenset((kind.namespace, kind.root) for kind in KINDS.values())
_GUIAS = frozenset({"09", "31"})
_DESPATCH = (DESPATCH_ADVICE, "DespatchAdvice")
REVERSION = "RR"
"""The Resumen de reversiones, which annuls retenciones and percepciones (SUNAT reference §4.8)."""


class SunatRouter(Authority):
    pais = "PE"

    def __init__(self, comprobantes: Authority, retper: Authority, guias: Authority | None = None) -> None:
        self.comprobantes = comprobantes
        self.retper = retper
        self.guias = guias

    def _by_tipo(self, tipo: object) -> Authority:
        if tipo in KINDS:
            return self.retper
        if tipo in _GUIAS and self.guias is not None:
            return self.guias
        return self.comprobantes

    def _by_root(self, xml: bytes) -> Authority:
        qname = etree.QName(xmlsafe.parse_request(xml))
        key = (qname.namespace, qname.localname)
        if key in _RETPER_ROOTS:
            return self.retper
        if key == _DESPATCH and self.guias is not None:
            return self.guias
        return self.comprobantes

    def parse(self, payload: Any) -> Draft:
        tipo = payload.get("tipo") if isinstance(payload, dict) else None
        return self._by_tipo(tipo).parse(payload)

    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        return self._by_tipo(draft.tipo).prepare(draft, numero, empresa, today)

    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        return self._by_root(xml).prepare_xml(xml, empresa)

    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        return self._by_root(xml).sign_xml(xml, empresa)

    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        return self._by_tipo(doc.tipo).submit(doc, empresa)

    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        return self._by_tipo(doc.tipo).reconcile(doc, empresa)

    def document_title(self, tipo: str) -> str:
        return self._by_tipo(tipo).document_title(tipo)

    def void_kind(self, target: VoidTarget, today: dt.date) -> str:
        return self._by_tipo(target.tipo).void_kind(target, today)

    def _by_void_kind(self, kind: str) -> Authority:
        return self.retper if kind == REVERSION else self.comprobantes

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
        return self._by_void_kind(kind).prepare_void(kind, targets, motivo, empresa, today, numero, registry)

    def summary_kind(self, tipo: str, serie: str) -> str | None:
        return self._by_tipo(tipo).summary_kind(tipo, serie)

    def summary_reference(self, target: SummaryTarget) -> tuple[str, str, int] | None:
        return self._by_tipo(target.tipo).summary_reference(target)

    def check_summary_line(
        self, target: SummaryTarget, empresa: EmpresaContext, today: dt.date, registry: RegistryLookup
    ) -> list[Issue]:
        return self._by_tipo(target.tipo).check_summary_line(target, empresa, today, registry)

    def prepare_summary(
        self,
        targets: list[SummaryTarget],
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        return self.comprobantes.prepare_summary(targets, empresa, today, numero, registry)

    def void_series(self, kind: str, today: dt.date) -> str:
        return self._by_void_kind(kind).void_series(kind, today)
