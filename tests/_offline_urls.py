"""An autouse fixture for tests whose URL sources are made up (``_fake_runware.SRC``): the client never reads
their length over the network (it stays unknown, and the guard prices it at its job kind's maximum).

    from _offline_urls import made_up_urls_are_not_read  # noqa: F401  (pytest picks the fixture up)
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def made_up_urls_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumakit.client._source_length import SourceLengths

    init = SourceLengths.__init__
    monkeypatch.setattr(SourceLengths, "__init__", lambda self, cache, read=None: init(self, cache, _unread))


def _unread(url: str) -> None:
    return None
