"""The price a panel shows before its run, with what the budget has left; no network.

A panel prices only through its client's public call, ``client.quote({"label": request, ...})``
(:meth:`Client.quote <lumakit.client.Client.quote>`, :meth:`AsyncClient.quote
<lumakit.client.AsyncClient.quote>`: the same blocking call): the client's own preparation (local sources
hashed and measured, the cache and packs looked up: a cached job costs nothing) and the table prices its
``max_cost`` and budget checks use. Nothing is sent. A stand-in that is not a lumakit client has no price:
the panel shows none rather than one the client would not charge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..client import AsyncClient, Client
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


def quote(client: Any, requests: Mapping[str, Request]) -> Quote | None:
    """``client.quote(requests)``: what ``label -> request`` would cost as ``client`` would run it now;
    None when ``client`` is not a lumakit ``Client`` or ``AsyncClient`` (it has no quote to show)."""
    if not isinstance(client, (Client, AsyncClient)):
        return None
    return client.quote(dict(requests))
