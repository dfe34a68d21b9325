"""What a SUNAT check can say: a finding (code, node, value) or an exception answer.

The "INFO: CODE (nodo: … valor: …)" shape is the one SUNAT's validation XSL writes
(``validate_utils.xsl``, quoted in ``sunat.md`` §1.5) and the one recorded CDR notes
carry (``R-20220557805-01-F001-22Openubl.xml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from openpse.sandbox.sunat import codes


@dataclass(frozen=True)
class Finding:
    """One failed SUNAT rule: its return code and the node and value that broke it."""

    code: str
    node: str = ""
    value: str = ""

    @property
    def message(self) -> str:
        return codes.message(self.code)

    def info(self) -> str:
        return f'INFO: {self.code} (nodo: "{self.node}" valor: "{self.value}")'

    def detail(self, ticket: str) -> str:
        """The "Detalle" SUNAT appends to faults and rejection descriptions."""
        return f"xxx.xxx.xxx value='ticket: {ticket} error: {self.info()}'"

    def note(self) -> str:
        """The ``cbc:Note`` line of an observation in an accepted CDR."""
        return f"{self.code} - {self.message} - {self.info()}"


class SunatException(Exception):
    """An exception answer (0100–1999, or a beta-mode rejection): a SOAP fault ``Client.<code>``."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)

    @property
    def faultstring(self) -> str:
        text = codes.message(self.code)
        return f"{text} - Detalle: {self.detail}" if self.detail else text


class FindingError(Exception):
    """A check that stops processing: the caller turns it into a fault or a rejection."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(finding.info())
