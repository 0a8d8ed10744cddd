from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

from tortodelova.storage.base import ObjectMissing, validate_key

DIR_MODE = 0o750


class LocalImageStore:
    """Images in a directory. Served only through the authorised routes: there is no public URL."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    def _make_dirs(self, folder: Path) -> None:
        """The folders of a key, owner and group only (0750) whatever the process umask: the web process and a
        worker that created them with the default 0755 left every chef's pictures listable by any local user."""
        missing = []
        while folder != self.root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            try:
                path.mkdir(mode=DIR_MODE)
            except FileExistsError:
                continue
            path.chmod(DIR_MODE)

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if self.root not in path.parents:
            raise ObjectMissing()
        return path

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        path = self._path(key)
        self._make_dirs(path.parent)
        # Write then rename: a reader never sees half a PNG.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing() from None

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing()

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as f:
                while chunk := f.read(chunk_size):
                    yield chunk

        return chunks()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectMissing() from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Tidy empty generation/user folders; stop at the root.
        for parent in path.parents:
            if parent == self.root or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()

    def presign(self, key: str, seconds: int) -> str | None:
        return None

    def health(self) -> str:
        return "ok" if os.access(self.root, os.W_OK) else "unwritable"
