"""The SweepPanel and HistoryPanel "export" buttons: comparison.mp4 and report.html, paths shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from _clips import make_clip

import lumakit as lk
from lumakit import media
from lumakit.widgets import HistoryPanel, SweepPanel


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "src.mp4", seconds=1.0)


@pytest.fixture
def client():
    c = lk.Client(progress=False)
    yield c
    c.close()


def test_sweep_panel_export_writes_both_and_shows_the_paths(clip, client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    panel = SweepPanel(client, source=str(clip), prompt="glass", levels=("adhere_1", "reimagine_3"))
    assert panel.export_button.disabled, "nothing to export before a run"
    panel.run(timeout=180)
    assert not panel.export_button.disabled
    panel.export_button.click()
    assert panel.error == ""
    video, report = panel.exported["video"], panel.exported["report"]
    assert video.name == "comparison.mp4" and report.name == "report.html" and video.parent == report.parent
    assert video.parent.parent == Path("lumakit-export") and video.parent.name.startswith("sweep-")
    assert str(video) in panel.export_line.value and str(report) in panel.export_line.value
    info = media.probe(video)
    assert info.width > 3 * info.height, "source and both levels side by side"
    text = report.read_text()
    assert "adhere_1" in text and "reimagine_3" in text and 'alt="departure"' in text
    panel.export_button.click()
    assert panel.exported["video"].parent != video.parent, "a second export never overwrites the first"


def test_history_panel_export_of_ticked_rows(clip, client, tmp_path):
    a = client.modify(str(clip), "glass", strength="adhere_1")
    b = client.modify(str(clip), "glass", strength="flex_3")
    panel = HistoryPanel(client)
    assert panel.export_button.disabled
    assert panel.export() == {} and "tick one or more rows" in panel.error
    panel.checks[a.task_uuid].value = True
    panel.checks[b.task_uuid].value = True
    assert not panel.export_button.disabled
    paths = panel.export(tmp_path / "out")
    assert panel.error == "" and set(paths) == {"video", "report"}
    assert all(p.is_file() and str(p) in panel.export_line.value for p in paths.values())
    text = paths["report"].read_text()
    assert "&quot;strength&quot;: &quot;flex_3&quot;" in text and "(estimate)" in text
    assert "local preview renderer, not Ray" in text
    assert media.probe(paths["video"]).width > 2 * media.probe(paths["video"]).height
