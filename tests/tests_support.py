"""Helpers importable from every test module (tests/ is on sys.path through rootdir conftest)."""

from __future__ import annotations

from conftest import SHARED, shared_path

__all__ = ["SHARED", "shared_path"]
