"""lumakit.display: inline HTML, embedding policy and budget, the synced player widget."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _clips import make_clip, pattern

from lumakit import display, media
from lumakit.errors import MediaError, RequestError


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "lkcache"))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("clips")
    return [make_clip(d / f"c{i}.mp4", seconds=1 + 0.5 * i, seed=i) for i in range(3)]


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    got: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: got.extend(objs))
    return got


def videos_in(html: str) -> list[str]:
    return re.findall(r"<video\b[^>]*>", html)


def src_of(tag: str) -> str:
    m = re.search(r'src="([^"]*)"', tag)
    assert m, tag
    return m.group(1)


def test_show_videos_displays_one_video_per_clip(clips: list[Path], shown: list[Any]) -> None:
    out = display.show_videos({"source": clips[0], "flex_2": clips[1], "<b>x</b>": clips[2]})
    assert out is None and len(shown) == 1  # displayed, nothing returned (mediapy style)
    html = shown[0].data
    tags = videos_in(html)
    assert len(tags) == 3
    for tag in tags:
        for attr in ("controls", "muted", "playsinline", "autoplay", "loop"):
            assert re.search(rf"\b{attr}\b", tag), (attr, tag)
        assert src_of(tag).startswith("data:video/mp4;base64,")
    assert "source" in html and "flex_2" in html and "&lt;b&gt;x&lt;/b&gt;" in html  # titles, escaped
    assert "repeat(3," in html


def test_embedded_preview_is_a_small_silent_h264(clips: list[Path], tmp_path: Path) -> None:
    html = display.html_for(clips[0], max_side=96)
    data = base64.b64decode(src_of(videos_in(html)[0]).split(",", 1)[1])
    f = tmp_path / "p.mp4"
    f.write_bytes(data)
    info = media.probe(f)
    assert (info.width, info.height, info.codec, info.has_audio) == (96, 54, "h264", False)
    assert info.n_frames == 24


def test_return_html_and_show_video(clips: list[Path], shown: list[Any]) -> None:
    html = display.show_videos([clips[0], clips[1]], return_html=True, autoplay=False, loop=False)
    assert isinstance(html, str) and shown == []
    assert len(videos_in(html)) == 2 and "autoplay" not in html and " loop" not in html
    assert display.show_video(clips[0], title="one") is None
    assert len(videos_in(shown[0].data)) == 1 and "one" in shown[0].data


def test_remote_urls_are_referenced_and_results_accepted(clips: list[Path], shown: list[Any]) -> None:
    url = "https://example.org/out.mp4"
    result = SimpleNamespace(path=clips[0], video_url=url)
    remote_only = SimpleNamespace(path=None, video_url=url)
    html = display.html_for({"local": result, "remote": remote_only, "plain": url})
    srcs = [src_of(t) for t in videos_in(html)]
    assert srcs[0].startswith("data:video/mp4") and srcs[1] == url and srcs[2] == url


def test_embed_false_references_files(clips: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(clips[0].parent)
    html = display.html_for(clips, embed=False)
    assert [src_of(t) for t in videos_in(html)] == ["c0.mp4", "c1.mp4", "c2.mp4"]
    assert "base64" not in html


def test_sweep_of_ten_clips_stays_under_five_megabytes(tmp_path: Path) -> None:
    # noisy 640x360 clips compress badly: the preview must shrink itself to fit the budget
    import numpy as np

    rng = np.random.default_rng(0)
    runs = {}
    for i in range(10):
        frames = pattern(12, 640, 360, seed=i).astype(np.int16) + rng.integers(-40, 40, (12, 360, 640, 3))
        runs[f"level_{i}"] = media.write_video(
            tmp_path / f"s{i}.mp4", frames.clip(0, 255).astype(np.uint8), 24
        )
    html = display.html_for(runs)
    assert len(videos_in(html)) == 10
    assert len(html.encode()) < 5_000_000
    small = display.html_for(runs, embed_budget=400_000)
    assert len(small.encode()) < 450_000 and len(videos_in(small)) == 10


def test_previews_are_cached(clips: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    display.html_for(clips[:2])
    calls: list[list[str]] = []
    real = media._run
    monkeypatch.setattr(media, "_run", lambda cmd: calls.append(cmd) or real(cmd))
    display.html_for(clips[:2])
    assert not any("-vf" in c for c in calls)  # no transcode the second time


def test_sync_displays_the_widget_in_a_kernel(
    clips: list[Path], shown: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(display, "_widgets_available", lambda: True)
    display.show_videos({"a": clips[0], "b": clips[1], "c": clips[2]}, columns=2)
    (player,) = shown
    assert type(player).__name__ == "SyncedPlayer"
    assert [s["title"] for s in player.sources] == ["a", "b", "c"]
    assert [round(s["duration"], 2) for s in player.sources] == [1.0, 1.5, 2.0]
    assert player.columns == 2 and player.autoplay and player.loop and player.fps == 24.0
    bundle = player._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert len(videos_in(data["text/html"])) == 3  # static fallback for front ends without widgets
    esm = Path(display.__file__).parent / "_player" / "player.js"
    assert "playbackRate" in esm.read_text()


def test_no_kernel_falls_back_to_html(clips: list[Path], shown: list[Any]) -> None:
    display.show_videos(clips, sync=True)
    assert len(shown) == 1 and hasattr(shown[0], "data") and len(videos_in(shown[0].data)) == 3


def test_bad_input(clips: list[Path], tmp_path: Path, shown: list[Any]) -> None:
    with pytest.raises(MediaError, match="not found"):
        display.show_videos([clips[0], tmp_path / "missing.mp4"])
    with pytest.raises(MediaError, match="not found"):
        display.show_videos([tmp_path / "missing.mp4"], embed=False)
    with pytest.raises(RequestError, match="embed"):
        display.show_videos(clips, embed="yes")
    with pytest.raises(RequestError, match="titles"):
        display.show_videos(clips, titles=["a"])
    with pytest.raises(RequestError, match="columns"):
        display.show_videos(clips, columns=0)
    with pytest.raises(RequestError, match="videos"):
        display.show_videos([])
    with pytest.raises(RequestError, match="one video"):
        display.show_video(clips)
    assert shown == []


def test_import_does_not_pull_widgets() -> None:
    import subprocess
    import sys

    mods = "('anywidget', 'ipywidgets', 'matplotlib', 'moviepy')"
    code = f"import sys, lumakit.display; print(sorted(m for m in {mods} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_save_page_is_a_standalone_synced_page(clips: list[Path], tmp_path: Path) -> None:
    page = display.save_page(
        {"a": clips[0], "b": clips[1]}, tmp_path / "out" / "index.html", title="demo <1>"
    )
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "demo &lt;1&gt;" in text
    assert len(videos_in(text)) == 2  # the no-script fallback
    assert "function render" in text and text.count("data:video/mp4;base64,") == 4  # fallback + player state
    assert [p.name for p in page.parent.iterdir()] == ["index.html"]
    plain = display.save_page(clips, tmp_path / "plain.html", sync=False, embed=False)
    assert "function render(" in plain.read_text() and "c0.mp4" in plain.read_text()
    with pytest.raises(RequestError, match="bogus"):
        display.save_page(clips, tmp_path / "x.html", bogus=1)


def test_synced_player_has_a_stable_plain_repr(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", seconds=0.5, fps=12)
    player = display.synced_player({"source": clip, "flex_2": clip})
    assert repr(player) == "SyncedPlayer(2 clips: source, flex_2)"
    bundle = player._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "0x" not in data["text/plain"] and "<video" in data["text/html"]
