"""``python -m openpse``."""

from openpse.cli import app

app()
