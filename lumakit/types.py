"""Names for what lumakit's public functions accept, for editors, type checkers and readers.

    def modify(self, source: SourceLike, prompt: str, *, controls: ControlsLike = None, ...) -> Result
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, Union

if TYPE_CHECKING:
    from .request import Controls, Request
    from .results import Result

__all__ = ["ControlsLike", "SourceLike", "WorkLike"]

#: A source for an edit or a reframe: a local path, an http(s) URL, a data URI, the UUID of an earlier
#: generation (``videoUUID``) or upload (``mediaUUID``), or a :class:`~lumakit.results.Result` (it chains).
SourceLike: TypeAlias = Union[str, "os.PathLike[str]", "Result"]

#: The per-signal knobs: a :class:`~lumakit.request.Controls`, a dict of its keywords, or None.
ControlsLike: TypeAlias = Union["Controls", Mapping[str, Any], None]

#: What ``client.run`` and ``client.estimate`` take: a request, a list of them, or a ``{label: request}``.
WorkLike: TypeAlias = Union["Request", Sequence["Request"], Mapping[str, "Request"]]
