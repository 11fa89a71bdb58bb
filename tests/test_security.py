"""The API key never shows: not in a repr, log record, exception, ledger, cache file or request preview."""

from __future__ import annotations

import asyncio
import logging
import pickle

import httpx
import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client

from lumakit.client import Client
from lumakit.client._secrets import RedactingFilter, Secret, redact
from lumakit.errors import AuthenticationError, BudgetError

KEY = "sk-live-TOPSECRET-5f3a9c1e77"


def test_the_key_never_appears_anywhere(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeRunware(polls=2)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.0, fps=12, w=64, h=36)
    # a service that echoes the key back in an error message
    fake.script(
        "videoInference",
        httpx.Response(
            401, json={"errors": [{"code": "invalidApiKey", "message": f"key {KEY} is not valid"}]}
        ),
    )
    shown: list[str] = []

    async def go():
        client = make_client(fake, tmp_path, key=KEY)
        shown.append(repr(client))
        with pytest.raises(AuthenticationError) as info:
            await client.modify(str(clip), "a glass dolphin", strength="flex_1")
        shown.extend([str(info.value), repr(info.value), repr(info.value.raw)])
        r = await client.modify(str(clip), "a glass dolphin", strength="flex_1")
        runs = await client.sweep(str(clip), "a glass dolphin", strengths=["adhere_1", "flex_1"])
        est = await client.estimate(client.plan_sweep(str(clip), "x", strengths=["flex_3"]))
        with pytest.raises(BudgetError) as budget:
            await client.modify(str(clip), "x", strength="reimagine_1", max_cost=0.01)
        shown.extend([repr(r), r._repr_html_(), repr(runs), runs._repr_html_(), repr(est), str(budget.value)])
        shown.extend([repr(client.history()), client.history()._repr_html_(), repr(client._http)])
        shown.append(repr(r.request.to_task()))
        await client.aclose()

    asyncio.run(go())
    sync = Client(KEY, base_url=fake.base_url, cache_dir=tmp_path / "cache", transport=fake.transport())
    shown.append(repr(sync))
    sync.close()

    assert any(fake.requests)  # the key did go where it belongs: the Authorization header
    assert all(h.get("authorization") == f"Bearer {KEY}" for m, _, h, _ in fake.requests if m == "POST")
    assert all("authorization" not in h for m, _, h, _ in fake.requests if m == "GET")  # not to the CDN
    for text in shown:
        assert KEY not in text
    assert "api_key=***" in shown[0]
    for record in caplog.records:
        assert KEY not in record.getMessage()
    assert any("POST" in r.getMessage() for r in caplog.records)  # logging did happen
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert any(p.name == "ledger.sqlite3" for p in files) and any(p.suffix == ".mp4" for p in files)
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p


def test_log_filter_redacts_keys_and_bearer_tokens(caplog):
    Secret("another-secret-key-42")
    logger = logging.getLogger("lumakit.client")
    with caplog.at_level(logging.DEBUG, logger="lumakit.client"):
        logger.debug("headers %s", {"Authorization": "Bearer another-secret-key-42"})
        logger.info("sending with another-secret-key-42")
        logger.info("token Bearer xyz.abc-unknown-token")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "another-secret-key-42" not in text and "xyz.abc-unknown-token" not in text
    assert text.count("***") == 3
    assert redact("Authorization: Bearer abc123") == "Authorization: Bearer ***"
    assert isinstance(logging.getLogger("httpx").filters[0], RedactingFilter)


def test_secret_hides_itself_and_cannot_be_pickled():
    s = Secret("sk-pickle-me-not")
    assert repr(s) == str(s) == "***" and f"{s}" == "***"
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert s.reveal() == "sk-pickle-me-not"
