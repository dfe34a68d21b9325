"""Blob store on disk for signed XML, zips and CDRs.

Files are immutable and their names carry a digest of their content, so two requests
racing for the same document number can never overwrite each other's bytes: only the
row that commits points to its own files. Writes go to a temporary file and are
renamed into place, so a crash never leaves a half-written blob under a real name.
Callers pick a directory per company and day, so directories are created once a day,
not once per document.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path, fsync: bool = False) -> None:
        self.root = root
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, prefix: str, name: str, data: bytes) -> str:
        """Store ``data``; return its key (a relative path)."""
        digest = hashlib.sha256(data).hexdigest()[:16]
        key = f"{prefix}/{digest}-{name}"
        path = self.root / key
        if path.exists():
            return key
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self.fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def cached(self, key: str) -> bytes | None:
        """A derived file (a rendered PDF) stored under a key the caller computes, or None."""
        path = self._path(key)
        return path.read_bytes() if path.exists() else None

    def cache(self, key: str, data: bytes) -> None:
        """Store a derived file under ``key`` (atomically; a concurrent writer writes the same bytes)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("clave de blob fuera del almacén")
        return path

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()
