"""The player's sound (one clip heard, the others muted, the user chooses) and the shared DisplayOptions."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from _clips import make_clip, with_audio

import lumakit as lk
from lumakit import display, media
from lumakit.errors import RequestError


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "lkcache"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 1 s 30 fps source with sound, and a silent result."""
    d = tmp_path_factory.mktemp("sound")
    silent = make_clip(d / "result.mp4", seconds=1.0, fps=30, seed=1)
    source = with_audio(make_clip(d / "plain.mp4", seconds=1.0, fps=30), d / "source.mp4")
    return source, silent


def _state(page: str) -> dict:
    m = re.search(r"const state = (\{.*?\});\n", page)
    assert m, page[:300]
    return json.loads(m.group(1).replace("<\\/", "</"))


def _probe_src(src: str, folder: Path, name: str) -> media.VideoInfo:
    mime, data = src.split(",", 1)
    ext = ".webm" if "webm" in mime else ".mp4"
    f = folder / f"{name}{ext}"
    f.write_bytes(base64.b64decode(data))
    return media.probe(f)


def test_the_source_is_heard_in_the_page_player(pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, silent = pair
    page = display.player_html({"source": source, "adhere_1": silent}, autoplay=False)
    state = _state(page)
    assert state["sound"] == 0  # "auto": the first clip with sound
    heard, other = state["sources"]
    assert (heard["audio"], other["audio"]) == (True, False)
    assert _probe_src(heard["src"], tmp_path, "heard").has_audio  # the embedded preview carries the sound
    assert not _probe_src(other["src"], tmp_path, "other").has_audio
    # the static clips: the heard one is not muted (no autoplay), the other is
    tags = re.findall(r"<video\b[^>]*>", page)
    assert len(tags) == 2
    assert " muted" not in tags[0] and "data-lk-sound" in tags[0]
    assert " muted" in tags[1] and "data-lk-sound" not in tags[1]
    # the player script mutes every clip but the heard one and offers a choice
    assert "v.muted = i !== h || blocked" in page and 'soundSel.className = "lk-sound"' in page


def test_a_user_chooses_which_clip_is_heard(pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, silent = pair
    clips = {"result": silent, "source": source}
    assert _state(display.player_html(clips))["sound"] == 1  # auto finds the source in second place
    assert _state(display.player_html(clips, sound=None))["sound"] == -1
    assert _state(display.player_html(clips, sound="source"))["sound"] == 1
    # a clip without sound cannot be heard: nobody is
    assert _state(display.player_html(clips, sound="result"))["sound"] == -1
    with pytest.raises(RequestError, match="sound") as e:
        display.player_html(clips, sound="sorce")
    assert "source" in str(e.value)
    with pytest.raises(RequestError, match="sound"):
        display.player_html(clips, sound=5)
    # autoplay: every static clip starts muted (browsers refuse sound before a click)
    html = display.html_for(clips)
    assert all(" muted" in t for t in re.findall(r"<video\b[^>]*>", html))
    assert "(sound)" in html  # the caption says which clip carries it
    # VP9 previews carry sound too (Opus)
    vp9 = _state(display.player_html(clips, codec="vp9", autoplay=False))
    assert _probe_src(vp9["sources"][1]["src"], tmp_path, "vp9").has_audio


def test_the_widget_carries_the_same_sound_and_step_as_the_page(pair: tuple[Path, Path]) -> None:
    source, silent = pair
    clips = {"source": source, "adhere_1": silent}
    player = display.synced_player(clips)
    state = _state(display.player_html(clips))
    assert player.sound == state["sound"] == 0
    # one frame step of a 30 fps clip, in the widget and in the report's page alike (was 24 in the page)
    assert player.fps == state["fps"] == pytest.approx(30.0)
    assert [s["audio"] for s in player.sources] == [True, False]


def test_the_report_plays_the_source_with_sound(pair: tuple[Path, Path], tmp_path: Path) -> None:
    source, silent = pair
    page = lk.save_report({"adhere_1": silent}, tmp_path / "r.html", source=source).read_text()
    state = _state(page)
    assert state["sound"] == 0 and state["sources"][0]["title"] == "source"
    assert state["sources"][0]["audio"] and not state["sources"][1]["audio"]


def test_display_options_are_one_checked_set(pair: tuple[Path, Path]) -> None:
    source, silent = pair
    opts = lk.DisplayOptions(columns=1, border=2, sound=None)
    with pytest.raises(Exception, match=r"frozen|cannot assign"):
        opts.columns = 3  # type: ignore[misc]
    page = display.player_html([source, silent], options=opts)
    state = _state(page)
    assert (state["columns"], state["border"], state["sound"]) == (1, 2, -1)
    # keywords override the options given
    assert _state(display.player_html([source, silent], options=opts, columns=2))["columns"] == 2
    for bad in ({"columns": 0}, {"width": -1}, {"border": "thick"}, {"embed": "yes"}, {"max_side": 4},
                {"codec": "av1"}, {"fps": 0}, {"sound": 1.5}):  # fmt: skip
        name = next(iter(bad))
        with pytest.raises(RequestError, match=name):
            lk.DisplayOptions(**bad)
        with pytest.raises(RequestError, match=name):
            display.html_for(source, **bad)
    with pytest.raises(RequestError, match="colums"):
        display.show_videos(source, return_html=True, colums=2)
    with pytest.raises(RequestError, match="synced"):
        display.player_html(source, codec="gif")
    # one codec list: what media previews, display accepts
    assert tuple(media.PREVIEW_CODECS) == display.CODECS and set(media.CODECS) < set(media.PREVIEW_CODECS)
