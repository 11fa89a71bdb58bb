"""Open a pack (a zip, or a folder it was unzipped into), check its manifest, copy out verified files."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import IO, Any

from .._files import atomic_path
from ..errors import PackError
from . import manifest

CHUNK = 1 << 20


class Pack:
    """A pack opened for reading. ``results`` are the manifest's items (already checked); ``id`` names the
    pack in the ledger (the start of its manifest's SHA-256); ``made`` is when it was made (ISO, UTC)."""

    def __init__(self, path: Path, raw: bytes, folder: Path | None, archive: zipfile.ZipFile | None) -> None:
        self.path = path
        self._folder = folder
        self._zip = archive
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self.close()
            raise PackError(path, "its manifest.json is not JSON (a damaged pack?)") from None
        try:
            self.results = manifest.check(data, str(path))
        except PackError:
            self.close()
            raise
        self.made: str | None = data.get("made") if isinstance(data.get("made"), str) else None
        self.id = hashlib.sha256(raw).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Pack({str(self.path)!r}, {len(self.results)} results, made {self.made})"

    def __enter__(self) -> Pack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def _open(self, name: str) -> IO[bytes]:
        try:
            if self._zip is not None:
                return self._zip.open(name)
            assert self._folder is not None
            return open(self._folder / name, "rb")
        except (KeyError, OSError):
            raise PackError(self.path, f"{name} is listed in its manifest but missing") from None

    def _stream(self, item: dict[str, Any], out: IO[bytes] | None) -> None:
        """Read ``item``'s file (writing it to ``out``), refusing one whose size or SHA-256 is not the
        manifest's."""
        digest, size = hashlib.sha256(), 0
        try:
            with self._open(item["file"]) as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if out is not None:
                        out.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
            raise PackError(self.path, f"{item['file']} cannot be read ({exc})") from None
        if size != item["size"] or digest.hexdigest() != item["sha256"]:
            raise PackError(self.path, f"{item['file']} is not the file that was packed (its digest differs)")

    def verify(self, item: dict[str, Any]) -> None:
        """Check ``item``'s file against the manifest (PackError if it differs)."""
        self._stream(item, None)

    def copy_verified(self, item: dict[str, Any], dest: Path) -> None:
        """Copy ``item``'s file to ``dest`` (via a temp file, moved into place only once it checked out)."""
        with atomic_path(dest) as tmp, open(tmp, "wb") as out:
            self._stream(item, out)

    def local_file(self, item: dict[str, Any]) -> Path | None:
        """The item's file in place, for a pack that is a folder (None for a zip)."""
        return None if self._folder is None else self._folder / item["file"]


def open_pack(path: str | os.PathLike[str]) -> Pack:
    """Open a pack zip (or the folder it was unzipped into) and check its manifest; else PackError."""
    p = Path(path).expanduser()
    if p.is_dir():
        try:
            raw = (p / manifest.MANIFEST).read_bytes()
        except OSError:
            raise PackError(p, f"not a lumakit pack folder (no {manifest.MANIFEST})") from None
        return Pack(p, raw, p, None)
    if not p.is_file():
        raise PackError(p, "no such file or folder")
    try:
        archive = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackError(p, f"not a zip file ({exc})") from None
    try:
        raw = archive.read(manifest.MANIFEST)
    except KeyError:
        archive.close()
        raise PackError(p, f"not a lumakit pack (no {manifest.MANIFEST} inside)") from None
    except (zipfile.BadZipFile, OSError) as exc:
        archive.close()
        raise PackError(p, f"its manifest cannot be read ({exc})") from None
    return Pack(p, raw, None, archive)
