"""The API key as a :class:`Secret`, and redaction: no key in a repr, a log line, an exception or a file.

The key lives in a :class:`Secret` (its repr is ``***``) and is registered with a logging filter that scrubs
it (and any ``Bearer`` token) from every record of lumakit's and httpx's loggers; :func:`redact` does the same
for any text lumakit stores or raises.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

# ---- secrets and redaction ------------------------------------------------------------------------------
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",}]+")
_LOGGERS = (
    "lumakit",
    "lumakit.client",
    "lumakit.cache",
    "lumakit.local",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)


class Secret:
    """A string that never shows itself: ``repr``/``str`` are ``***``; ``reveal()`` gives the value."""

    __slots__ = ("_value", "placeholder")

    def __init__(self, value: str, *, placeholder: bool = False) -> None:
        self._value = value
        self.placeholder = placeholder  # a stand-in ("local", "none"), not a key
        if not placeholder:  # a stand-in such as "local" is no secret: scrubbing it would mangle text
            register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickle the key into a file
        raise TypeError("a lumakit Secret cannot be pickled")


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` and the log filter scrub it everywhere."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)
    install_log_filter()


def redact(text: str) -> str:
    """``text`` with every known secret and every ``Bearer <token>`` replaced by ``***``."""
    if not text:
        return text
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return _BEARER.sub(r"\1***", text)


def redact_obj(value: Any) -> Any:
    """:func:`redact` applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Scrubs known secrets and ``Authorization`` values from a record's message (and traceback text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if redact(str(exc)) != str(exc):
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactingFilter()
_installed = False


def install_log_filter() -> None:
    """Attach the redacting filter to lumakit's and httpx/httpcore's loggers (once)."""
    global _installed
    if _installed:
        return
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _installed = True
