"""The one error of the renderer."""

from __future__ import annotations


class RenderError(ValueError):
    """The XML (or the CDR, the logo, the format) cannot be printed; the message says why, in Spanish."""
