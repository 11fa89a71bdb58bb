"""Result, ResultSet and TaskUpdate: stable reprs, inline HTML, ordered mapping."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from _clips import make_clip

from lumakit.request import ModifyRequest
from lumakit.results import Result, ResultSet, TaskUpdate


def result(tmp_path: Path, name: str = "a", backend: str = "runware", **kw) -> Result:
    path = tmp_path / f"{name}.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 100)
    req = ModifyRequest("https://example.org/clip.mp4", "a <glass> dolphin", strength="flex_2")
    defaults = dict(
        path=path,
        video_url=f"https://cdn.test/{name}.mp4",
        video_uuid="11111111-2222-4333-8444-555555555555",
        task_uuid="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        cost=1.08,
        seconds=42.0,
        request=req,
        backend=backend,
    )
    defaults.update(kw)
    return Result(**defaults)


def test_result_repr_is_stable_and_readable(tmp_path):
    r = result(tmp_path)
    text = repr(r)
    assert text == repr(result(tmp_path))
    assert not re.search(r"0x[0-9a-f]{6,}", text)
    assert (
        "modify" in text and "aaaaaaaa" in text and "$1.08" in text and "42.0s" in text and "runware" in text
    )


def test_result_html_shows_video_request_cost_time_backend(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "lumakit.display", None)  # display not importable: plain <video>
    html = result(tmp_path)._repr_html_()
    assert "<video" in html and "data:video/mp4;base64," in html
    assert "$1.08" in html and "42.0 s" in html and "runware" in html
    assert "&lt;glass&gt;" in html and "settings" in html and "flex_2" in html  # compact, escaped JSON
    local = result(tmp_path, backend="local", extra={"cost_is_estimate": True})._repr_html_()
    assert "local preview, not Ray" in local and "(estimate)" in local
    assert "local preview, not Ray" in repr(result(tmp_path, backend="local"))
    local_text = repr(result(tmp_path, backend="local", extra={"cost_is_estimate": True}))
    assert "$1.08 (estimate)" in local_text and "(estimate)" not in repr(result(tmp_path))


def test_result_html_uses_lumakit_display_when_available(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.0, fps=12, w=64, h=36)
    html = result(tmp_path, path=clip)._repr_html_()
    assert "<video" in html and "$1.08" in html and "flex_2" in html


def test_result_is_usable_as_the_next_source(tmp_path):
    r = result(tmp_path)
    nxt = ModifyRequest(r, "now at night", strength="adhere_1")
    assert nxt.to_task()["inputs"]["video"] == r.video_uuid


def test_resultset_is_an_ordered_mapping(tmp_path):
    runs = ResultSet({k: result(tmp_path, k, cost=c) for k, c in (("reimagine_3", 1.0), ("adhere_1", 0.5))})
    assert list(runs) == ["reimagine_3", "adhere_1"] and len(runs) == 2
    assert runs["adhere_1"].cost == 0.5 and runs.total_cost == 1.5
    with pytest.raises(KeyError, match="labels: reimagine_3, adhere_1"):
        runs["flex_2"]
    text = repr(runs)
    assert text.index("reimagine_3") < text.index("adhere_1") and "$1.50" in text
    assert not re.search(r"0x[0-9a-f]{6,}", text)
    html = runs._repr_html_()
    assert html.count("<video") == 2 and html.index("reimagine_3") < html.index("adhere_1")
    assert {**runs}.keys() == {"reimagine_3", "adhere_1"}


def test_task_update_refuses_unknown_statuses():
    u = TaskUpdate("t", "flex_2", "processing", progress=0.5, elapsed=3.0)
    assert u.progress == 0.5
    with pytest.raises(ValueError, match="finished"):
        TaskUpdate("t", None, "finished")
