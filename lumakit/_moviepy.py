"""Import moviepy without letting it touch ``os.environ``.

moviepy's ``config`` module runs ``load_dotenv(find_dotenv())`` on import: a ``.env`` file in the working
folder (or above it) would set ``RUNWARE_API_KEY`` and silently switch lumakit from the local backend to a
paid one. :func:`moviepy` hides python-dotenv during the import (so no ``.env`` file is even read) and puts
back any variable the import added or changed anyway.
"""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType

__all__ = ["moviepy"]

_importing = threading.Lock()  # a second thread waits for the first import instead of getting half of it


def moviepy() -> ModuleType:
    """The ``moviepy`` package, imported on first use with the environment left exactly as it was.

    Thread-safe: two threads asking at once (two comparison videos written together) both get the whole
    package, and the python-dotenv guard of one never undoes the other's.
    """
    with _importing:
        return _import()


def _import() -> ModuleType:
    if "moviepy" in sys.modules:
        return sys.modules["moviepy"]
    before = dict(os.environ)
    hidden = sys.modules.get("dotenv", ...)
    sys.modules["dotenv"] = None  # type: ignore[assignment]  # makes `from dotenv import ...` an ImportError
    try:
        import moviepy as mp
    finally:
        if hidden is ...:
            del sys.modules["dotenv"]
        else:
            sys.modules["dotenv"] = hidden  # type: ignore[assignment]
        _restore(before)
    return mp


def _restore(before: dict[str, str]) -> None:
    for name in set(os.environ) - set(before):
        del os.environ[name]
    for name, value in before.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
