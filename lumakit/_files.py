"""Files on disk, done one way everywhere: the cache root, a file's identity and digest, atomic writes.

A leaf: the standard library plus ``platformdirs`` (for the user cache dir), so every part of lumakit (the
client, the local backend, media, display) may import it.

- :func:`cache_root`: ``$LUMAKIT_CACHE_DIR``, else the platform's user cache dir for lumakit.
- :func:`identity`: what says "the same file, unchanged" (path, device, inode, size, mtime).
- :func:`digest`: SHA-256 of a file's content, memoized per identity (an edited file is hashed again).
- :func:`atomic_path`, :func:`write_bytes`, :func:`write_text`: a file appears whole or not at all (a temp
  file next to it, then ``os.replace``); temp names are unique per process and thread, so concurrent
  writers of one path never collide and a failed write leaves nothing behind.
- :data:`MIME_TYPES` / :func:`mime_type`: the media types lumakit reads, writes and serves, by suffix.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypeAlias

PathLike: TypeAlias = "str | os.PathLike[str]"
Identity: TypeAlias = tuple[str, int, int, int, int]

MIME_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def cache_root() -> Path:
    """``$LUMAKIT_CACHE_DIR`` if set, else the platform's user cache dir (e.g. ``~/.cache/lumakit``).

    Results and the ledger, preview transcodes and the local backend's data each live in a folder under it.
    """
    env = os.environ.get("LUMAKIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("lumakit"))


def identity(path: PathLike) -> Identity:
    """``(resolved path, device, inode, size, mtime_ns)``: equal only for the same, unchanged file.

    An in-place edit changes the size or mtime; a replacement (``os.replace``, a re-download) changes the
    inode even where the file system's clock is too coarse to move the mtime.
    """
    p = Path(path).expanduser()
    st = p.stat()
    return (str(p.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


_MEMO_SIZE = 4096
_digests: dict[Identity, str] = {}
_digests_lock = threading.Lock()


def digest(path: PathLike) -> str:
    """SHA-256 (hex) of a file's content, memoized per :func:`identity`. Thread-safe.

    Raises:
      OSError: the file cannot be read (``FileNotFoundError`` if it is missing).
    """
    key = identity(path)
    with _digests_lock:
        hit = _digests.get(key)
    if hit is not None:
        return hit
    h = hashlib.sha256()
    with open(key[0], "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    value = h.hexdigest()
    with _digests_lock:
        if len(_digests) >= _MEMO_SIZE:
            _digests.pop(next(iter(_digests)))
        _digests[key] = value
    return value


def temp_path(dest: PathLike) -> Path:
    """A fresh hidden name beside ``dest`` (``.<name>.<pid>-<random>.part``), unique per thread/process."""
    dest = Path(dest)
    return dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.part")


PART_STALE_SECONDS = 60.0  # a temp file not written for this long, whose process is gone, is dead [ours]
PART_ABANDONED_SECONDS = 86_400.0  # a temp file not written for a day is dead whatever its name says [ours]


def is_part(path: PathLike) -> bool:
    """True for a temp file of :func:`atomic_path` (a download or write in progress, or a dead one)."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(".part")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or not a pid): assume alive
    return True


def remove_dead_parts(folder: PathLike, now: float | None = None) -> list[Path]:
    """Delete the temp files of writes that died under ``folder`` (a killed download): those whose process is
    gone and that were not written for :data:`PART_STALE_SECONDS`, and any not written for a day. A write in
    progress keeps writing its file, so it is never taken. Returns what was deleted."""
    import time

    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed: list[Path] = []
    for path in folder.rglob(".*.part"):
        try:
            idle = now - path.stat().st_mtime
        except OSError:
            continue
        pid_text = path.name.rsplit(".", 2)[-2].split("-", 1)[0] if path.name.count(".") >= 2 else ""
        dead = idle > PART_ABANDONED_SECONDS or (
            idle > PART_STALE_SECONDS and not (pid_text.isdigit() and _pid_alive(int(pid_text)))
        )
        if dead:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(dest: PathLike) -> Iterator[Path]:
    """Yield a temp path to write (by any means: ffmpeg, savefig, ...); on success it becomes ``dest``.

    The parent folder is created. If the block raises, the temp file is removed and ``dest`` is untouched::

        with atomic_path(out) as tmp:
            subprocess.run([ffmpeg, ..., str(tmp)], check=True)
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(dest)
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (readers see the old file or the new one, never a part)."""
    path = Path(path).expanduser()
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(data)
    return path


def write_text(path: PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`write_bytes`)."""
    return write_bytes(path, text.encode(encoding))


RESULTS = "results"  # the folder of result files under a cache root
# folders of files derived from others, made again when missing (`lumakit cache` prunes them by last use):
PREVIEWS = "previews"  # preview transcodes for display, EXR frames as video (lumakit.media)
LOCAL_PROXIES = "local-proxies"  # sources at preview size, decoded once per content (the local backend)


def result_file(root: PathLike, backend: str, key: str, name: str, ext: str) -> Path:
    """Where a cache keeps a result: ``<root>/results/<backend>/<key[:2]>/<name>.<ext>``."""
    return Path(root) / RESULTS / backend / key[:2] / f"{name}.{ext}"


def result_backend(path: PathLike) -> str | None:
    """The backend of a result file from the layout :func:`result_file` writes (no file is opened), else
    None (a source clip, a file elsewhere)."""
    parts = Path(path).parts
    return parts[-3] if len(parts) >= 4 and parts[-4] == RESULTS else None


def mime_type(path: PathLike, default: str = "application/octet-stream") -> str:
    """The media type for a file name's suffix (``clip.MP4`` -> ``video/mp4``), or ``default``."""
    return MIME_TYPES.get(Path(path).suffix.lower(), default)
