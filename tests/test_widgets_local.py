"""Panels against the real client and the embedded local backend (``lk.Client()`` with no key)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import lumakit as lk
from lumakit.cache import Cache
from lumakit.widgets import HistoryPanel, ModifyPanel, SweepPanel
from lumakit.widgets._base import walk

SECRET = "sk-lumakit-test-SECRET-9f8e7d"


CLIP = {"fps": 24}  # the shape of the shared `clip` fixture (conftest.py)


@pytest.fixture
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.fixture
def client():
    c = lk.Client(progress=False)
    yield c
    c.close()


def _all_state(widget) -> str:
    """Every trait of every widget reachable from ``widget`` (synced state and Python-side traits)."""
    parts = []
    for w in walk(widget):
        parts.append(json.dumps(w.get_state(), default=repr))
        parts.extend(repr(v) for v in w.trait_values().values())
        parts.append(repr(w))
    return "\n".join(parts)


def test_no_panel_trait_holds_the_api_key(clip, tmp_path, shell):
    keyed = lk.Client(api_key=SECRET, base_url="http://127.0.0.1:9/v1", progress=False, cache_dir=tmp_path)
    panels = [
        ModifyPanel(keyed, source=str(clip), prompt="glass"),
        SweepPanel(keyed, source=str(clip), prompt="glass"),
        HistoryPanel(keyed),
    ]
    panels[0].controls.face = True
    panels[0].request_preview()
    for panel in panels:
        state = _all_state(panel)
        assert SECRET not in state and "Bearer" not in state
        assert len(walk(panel)) > 10  # the walk does reach the widgets inside
    keyed.close()


def test_generate_against_the_local_backend(clip, client, shell):
    panel = ModifyPanel(
        client, source=str(clip), prompt="the square made of blown glass", strength="adhere_2"
    )
    assert repr(panel) == f"ModifyPanel(source={str(clip)!r}, strength='adhere_2', backend='local')"
    sent = panel.request_preview()
    with capture_output() as captured:
        panel.generate_button.click()
        assert panel.job is not None and panel.job.wait(120)
    result = panel.result
    assert panel.error == "" and result is not None and Path(result.path).is_file()
    assert result.wire["settings"] == sent["settings"]  # what was sent is what the preview showed
    assert result.wire["positivePrompt"] == sent["positivePrompt"]
    assert panel.progress.value == 100 and "done" in panel.status_line.value
    assert result.task_uuid in panel.status_line.value
    player = panel.player_box.children[0]
    assert len(player.sources) == 2
    assert [o.data["text/plain"] for o in captured.outputs] == [repr(result)]
    assert "<video" in captured.outputs[0].data.get("text/html", "")
    assert client.history()[0].task_uuid == result.task_uuid


def test_invalid_combination_sends_nothing_to_the_local_backend(clip, client, shell):
    panel = ModifyPanel(client, source=str(clip), prompt="   ")
    panel.generate_button.click()
    assert panel.job is None
    assert panel.error.startswith("RequestError (prompt)")
    assert list(client.history()) == []


def test_sweep_one_per_band_returns_three_results_in_order(clip, client, shell):
    panel = SweepPanel(client, source=str(clip), prompt="glass")
    panel.preset.value = "one per band"
    runs = panel.run(timeout=180)
    assert list(runs) == list(lk.request.ONE_PER_BAND)
    assert all(Path(r.path).is_file() for r in runs.values())
    assert [r.wire["settings"]["edit"]["strength"] for r in runs.values()] == list(lk.request.ONE_PER_BAND)
    assert all(bar.value == 1.0 for bar, _ in panel.rows.values())
    assert panel.departure_image.value[:4] == b"\x89PNG"


def test_history_panel_lists_shows_and_compares(clip, client, shell):
    a = client.modify(str(clip), "glass", strength="adhere_1")
    b = client.modify(str(clip), "glass", strength="reimagine_3", controls=lk.Controls(face=True))
    panel = HistoryPanel(client)
    assert [e.task_uuid for e in panel.entries] == [b.task_uuid, a.task_uuid]
    texts = [
        getattr(w, "value", "") for w in panel.table.children if isinstance(getattr(w, "value", ""), str)
    ]
    assert "reimagine_3 + face=True" in texts and "adhere_1" in texts
    thumbs = [w for w in panel.table.children if type(w).__name__ == "Image"]
    assert len(thumbs) == 2 and all(t.value[:4] == b"\x89PNG" for t in thumbs)
    panel.show(a.task_uuid)
    assert len(panel.player_box.children[0].sources) == 1
    panel.checks[a.task_uuid].value = True
    panel.checks[b.task_uuid].value = True
    assert panel.selected == [a.task_uuid, b.task_uuid] and not panel.compare_button.disabled
    panel.compare_button.click()
    assert len(panel.player_box.children[0].sources) == 2 and panel.grid_image.value[:4] == b"\x89PNG"
    assert repr(panel) == "HistoryPanel(entries=2, backend='local')"


def test_history_panel_resumes_an_interrupted_task(clip, client, shell):
    uuid = client.submit(lk.ModifyRequest(video=str(clip), prompt="glass", strength="flex_1")).task_uuid
    assert Cache(client.cache.root).ledger.move(uuid, "interrupted")
    panel = HistoryPanel(client)
    resume_buttons = [
        w for row in panel.table.children if hasattr(row, "children") for w in row.children
        if getattr(w, "description", "") == "resume"
    ]  # fmt: skip
    assert len(resume_buttons) == 1
    with capture_output():
        resume_buttons[0].click()
        assert panel.job.wait(120)
    assert panel.error == ""
    assert panel.entry(uuid).state not in ("interrupted", "submitted", "pending")


def test_history_panel_resume_all_finishes_every_unfinished_task(clip, client, shell):
    handles = [
        client.submit(lk.ModifyRequest(video=str(clip), prompt="glass", strength=level))
        for level in ("adhere_1", "flex_3")
    ]
    for h in handles:
        assert Cache(client.cache.root).ledger.move(h.task_uuid, "interrupted")  # e.g. a kernel restart
    panel = HistoryPanel(client)
    assert not panel.resume_all_button.disabled and "2 unfinished" in panel.resume_all_button.tooltip
    with capture_output():
        panel.resume_all_button.click()
        assert panel.job.wait(120)
    assert panel.error == ""
    assert [panel.entry(h.task_uuid).state for h in handles] == ["done", "done"]
    assert len(panel.job.value) == 2 and client.pending() == []
    assert panel.resume_all_button.disabled  # nothing left to resume
