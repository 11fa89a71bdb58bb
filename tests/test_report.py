"""lk.save_report / ResultSet.save_report: one self-contained HTML file with everything the A/B needs."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from _clips import make_clip

import lumakit as lk
from lumakit.errors import RequestError
from lumakit.report import cost_label
from lumakit.request import ModifyRequest
from lumakit.results import Result, ResultSet

SECRET = "rw-secret-key-never-in-a-report-0123456789"
ATTR = re.compile(r"""\b(src|href|poster|action|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, ResultSet]:
    source = make_clip(tmp_path / "source.mp4", seconds=1.5, seed=0)
    out = {}
    specs = [("adhere_1", "runware", False, {}), ("flex_2", "runware", True, {}),
             ("reimagine_3", "local", False, {"cost_is_estimate": True})]  # fmt: skip
    for i, (level, backend, cached, extra) in enumerate(specs):
        req = ModifyRequest(str(source), "a glass dolphin", strength=level)
        wire = req.to_task(delivery=False)
        if level == "flex_2":
            wire = {**wire, "apiKey": SECRET}  # a wire that should never carry one: the report drops it
        out[level] = Result(
            make_clip(tmp_path / f"{level}.mp4", seconds=1.5, seed=i + 1), None,
            f"1111111{i}-2222-4333-8444-555555555555", f"aaaaaaa{i}-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            0.54 * (i + 1), 20.0 + i, req, backend, cached, {"label": level, "wire": wire, **extra},
        )  # fmt: skip
    return source, ResultSet(out)


def test_report_is_self_contained_and_complete(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNWARE_API_KEY", SECRET)
    _, results = runs
    path = results.save_report(tmp_path / "share" / "report.html", title="glass <dolphin>")
    text = path.read_text()
    assert path == tmp_path / "share" / "report.html" and text.startswith("<!doctype html>")
    # self-contained: every loaded resource is inline; nothing refers to the network or to a file
    attrs = ATTR.findall(text)
    assert attrs and all(v.startswith(("data:", "#")) for _, v in attrs), [v[:40] for _, v in attrs]
    assert "<link" not in text and "@import" not in text and "url(" not in text and "fetch(" not in text
    assert str(tmp_path) not in text, "no local paths"
    # the player's clips: source + three results embedded as small H.264 previews
    state = json.loads(re.search(r"const state = (\{.*?\});\n", text).group(1).replace("<\\/", "</"))
    assert [s["title"] for s in state["sources"]] == ["source", "adhere_1", "flex_2", "reimagine_3"]
    for s in state["sources"]:
        mp4 = base64.b64decode(s["src"].split(",", 1)[1])
        assert mp4[4:8] == b"ftyp" and len(mp4) < 200_000
    assert "function render(" in text and 'type="module"' in text
    # frame grid and departure plot as PNGs
    pngs = re.findall(r'<img class="figure" alt="([^"]+)" src="data:image/png;base64,([^"]+)"', text)
    assert [a for a, _ in pngs] == ["frame grid", "departure"]
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for _, b in pngs)
    # requests as wire JSON, costs labelled, backend and preview mark, version and date
    assert "glass &lt;dolphin&gt;" in text
    for level in ("adhere_1", "flex_2", "reimagine_3"):
        assert f"&quot;strength&quot;: &quot;{level}&quot;" in text
    assert "$0.54 (billed)" in text and "$1.08 (billed when it first ran; cached" in text
    assert "$1.62 (estimate)" in text and "local preview renderer, not Ray" in text
    assert f"lumakit {lk.__version__}" in text
    assert datetime.now(timezone.utc).strftime("%Y-%m-%d") in text
    # never the key
    assert SECRET not in text and "apiKey" not in text


def test_report_of_plain_files_without_source_has_no_departure_plot(tmp_path):
    clips = [make_clip(tmp_path / f"c{i}.mp4", seconds=1.0, seed=i) for i in range(2)]
    text = lk.save_report(clips, tmp_path / "r.html").read_text()
    assert "frame grid" in text and 'alt="departure"' not in text
    assert "c0.mp4" in text and "c1.mp4" in text and "(billed)" not in text


def test_report_takes_the_source_from_the_requests(runs, tmp_path):
    _, results = runs
    text = lk.save_report(results, tmp_path / "r.html").read_text()
    assert 'alt="departure"' in text and "lumakit A/B: a glass dolphin" in text


def test_cost_label_unknown_and_bad_title(runs, tmp_path):
    _, results = runs
    r = results["adhere_1"]
    assert cost_label(Result(r.path, None, None, r.task_uuid, None, None, None, "runware")) == "unknown"
    with pytest.raises(RequestError) as info:
        lk.save_report(results, tmp_path / "r.html", title=3)
    assert info.value.parameter == "title" and not (tmp_path / "r.html").exists()


def test_a_result_whose_cached_file_was_deleted_is_skipped_with_a_note(runs, tmp_path, caplog):
    source, results = runs
    results["flex_2"].path.unlink()  # someone cleared part of the cache
    with caplog.at_level("WARNING", logger="lumakit.report"):
        text = lk.save_report(results, tmp_path / "r.html", source=source).read_text()
    assert '<p class="missing">file missing from the cache: flex_2</p>' in text
    state = json.loads(re.search(r"const state = (\{.*?\});\n", text).group(1).replace("<\\/", "</"))
    assert [s["title"] for s in state["sources"]] == ["source", "adhere_1", "reimagine_3"]  # not played
    assert 'alt="frame grid"' in text and 'alt="departure"' in text  # the rest is all there
    assert "&quot;strength&quot;: &quot;flex_2&quot;" in text  # its request is still listed
    assert any("flex_2" in r.getMessage() and "missing" in r.getMessage() for r in caplog.records)
    for level in ("adhere_1", "reimagine_3"):
        results[level].path.unlink()
    with pytest.raises(RequestError, match="every result's file is missing from the cache") as info:
        lk.save_report(results, tmp_path / "none.html")
    assert info.value.parameter == "results" and not (tmp_path / "none.html").exists()
