"""The price a panel shows before its run, with what the budget has left; no network.

``quote(client, {"label": request, ...})`` is ``client.quote(...)``: the client's own preparation (local
sources hashed and measured, the cache and packs looked up: a cached job costs nothing) and the table prices
its ``max_cost`` and budget checks use. Nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..quotes import Quote
from ..request import Request

__all__ = ["Quote", "quote", "show_quote"]


def show_quote(price: Quote | None, label: Any, button: Any, *, running: bool) -> None:
    """Show ``price`` in ``label`` (an HTML widget) and disable ``button`` while running or over a limit."""
    from .knobs import escape

    label.value = "" if price is None else escape(price.text(), quote=False)
    over = price is not None and price.over
    button.disabled = running or over
    button.tooltip = price.text() if over and price is not None else ""


def quote(client: Any, requests: Mapping[str, Request]) -> Quote:
    """Price ``label -> request`` before running it, as ``client`` would run it (its ``quote``). A client
    of another kind (one without ``quote``) gets the table's price of each request, sources unmeasured."""
    own = getattr(client, "quote", None)  # Client.quote and AsyncClient.quote: the same, not a coroutine
    if own is not None:
        return own(dict(requests))  # type: ignore[no-any-return]
    from ..pricing import price

    total = sum(price(request, None, None).usd for request in requests.values())
    return Quote(round(total, 4), len(requests), 0, getattr(client, "max_cost", None))
