"""The refusals both sides of the wire raise, each a :class:`~lumakit.errors.RequestError` with a Runware
code and the dotted wire path (``settings.edit.strength``): the Python side raises them before anything is
sent, the local backend answers them as error objects. No I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import RequestError
from .spec import UNSUPPORTED_FIELDS


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def did_you_mean(name: Any, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a close candidate (case, ``_`` and ``-`` ignored), else ``""``.

    >>> did_you_mean("flex2", ["flex_2", "adhere_1"]), did_you_mean("zzz", ["flex_2"])
    ("; did you mean 'flex_2'?", '')
    """
    if not isinstance(name, str):
        return ""
    folded = {_fold(c): c for c in candidates}
    close = difflib.get_close_matches(_fold(name), list(folded), n=1)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""


def choice(name: str, value: Any, allowed: Iterable[Any], wire: str, code: str) -> Any:
    """``value`` if it is one of ``allowed`` (``None`` passes; an output format in any case)."""
    allowed = tuple(allowed)
    if value is None:
        return None
    norm = value.upper() if isinstance(value, str) and name == "output_format" else value
    if norm not in allowed or (isinstance(value, bool) and not all(isinstance(a, bool) for a in allowed)):
        raise RequestError(name, value, allowed, code=code, wire=wire)
    return norm


def int_in_range(name: str, value: Any, lo: int, hi: int, wire: str) -> int | None:
    """``value`` if it is an integer from ``lo`` to ``hi`` (``None`` passes); the code names the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RequestError(
            name,
            value,
            f"an integer from {lo} to {hi}",
            code=f"invalid{wire[0].upper()}{wire[1:]}",
            wire=wire,
        )
    return value


def boolean(name: str, value: Any, wire: str) -> bool | None:
    """``value`` if it is ``True``, ``False`` or ``None``."""
    if value is not None and not isinstance(value, bool):
        raise RequestError(name, value, ("True", "False"), code="invalidParameter", wire=wire)
    return value


def unsupported(name: str, value: Any, wire: str | None = None) -> RequestError:
    """A field Ray 3.2 does not take (seed, negative prompt, fps, steps, CFG scale)."""
    return RequestError(
        name,
        value,
        None,
        message=f"Ray 3.2 does not take {name!r} (results are not reproducible by seed, and negative "
        "prompts, fps, steps and CFG scale are not part of its schema)",
        code="unsupportedParameter",
        wire=wire or name,
    )


def unknown(name: Any, value: Any, allowed: Iterable[str], wire: str, where: str) -> RequestError:
    """A field no level of the schema has, with a did-you-mean."""
    allowed = tuple(allowed)
    return RequestError(
        wire,
        value,
        allowed,
        message=f"unknown field {name!r} in {where}{did_you_mean(name, allowed)}",
        code="invalidParameter",
        wire=wire,
    )


def conflict(parameter: str, message: str, wire: str) -> RequestError:
    """Two values that do not go together."""
    return RequestError(parameter, None, None, message=message, code="conflictingParameters", wire=wire)


def not_part_of(job: str, name: str, value: Any, why: str) -> RequestError:
    """A field that belongs to another kind of job."""
    return RequestError(
        name, value, None, message=f"{name} is not part of {job}: {why}", code="invalidParameter", wire=name
    )


def fields_of(obj: Any, allowed: Iterable[str], where: str, prefix: str) -> Mapping[str, Any]:
    """``obj`` must be a JSON object with keys from ``allowed``; an unknown key names its dotted path."""
    if not isinstance(obj, Mapping):
        raise RequestError(where, obj, "a JSON object", code="invalidParameter", wire=where)
    allowed = tuple(allowed)
    for key in obj:
        if key in UNSUPPORTED_FIELDS:
            raise unsupported(key, obj[key], f"{prefix}{key}")
        if key not in allowed:
            raise unknown(key, obj[key], allowed, f"{prefix}{key}", where)
    return obj
