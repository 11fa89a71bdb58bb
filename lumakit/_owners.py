"""Which process owns a task being prepared, and whether that process is still alive.

Each process that writes to a cache holds an exclusive ``flock`` on ``<cache>/owners/<token>.lock`` for as
long as it runs. The kernel drops the lock when the process ends, however it ends (SIGKILL included), so
another process can tell a live owner (the lock is held) from a dead one (it can take the lock), with no
pid reuse surprises. Where ``fcntl`` does not exist (Windows), an owner counts as alive for
:data:`FALLBACK_SECONDS` after its token file was written.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FALLBACK_SECONDS = 3600.0  # [ours] without flock: how long an owner's claim is trusted
_lock = threading.Lock()
# (pid, cache root) -> (token, locked file descriptor). A bare descriptor, never closed: the kernel releases
# the lock only when the process is gone (a file object would be closed, and warned about, at shutdown,
# while daemon threads may still be writing under this token).
_held: dict[tuple[int, str], tuple[str, int]] = {}


def _dir(root: Path) -> Path:
    return root / "owners"


def token(root: Path) -> str:
    """This process's owner token for the cache at ``root`` (its lock is taken on first use)."""
    key = (os.getpid(), str(root))
    with _lock:
        held = _held.get(key)
        if held is not None:
            return held[0]
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        folder = _dir(root)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{name}.lock", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _held[key] = (name, fd)
        return name


def alive(root: Path, owner: str | None) -> bool:
    """True while the process behind ``owner`` runs (always True for this process's own token)."""
    if not owner:
        return False
    with _lock:
        if any(tok == owner for tok, _fd in _held.values()):
            return True
    path = _dir(root) / f"{owner}.lock"
    if not path.exists():
        return False
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - path.stat().st_mtime < FALLBACK_SECONDS
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True  # the owner holds it
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        path.unlink()
    return False
