"""lk.comparison_video: tiling, size, duration, held last frames, audio, captions, and the .env guard."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _clips import make_clip, with_audio

from lumakit import media
from lumakit.errors import RequestError
from lumakit.results import Result
from lumakit.side_by_side import caption_for, comparison_video

H = 90


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cmp")
    long = make_clip(d / "long.mp4", seconds=2, w=160, h=90, seed=0)
    return {
        "source": with_audio(long, d / "source.mp4"),
        "short": make_clip(d / "short.mp4", seconds=1, w=160, h=90, seed=1),
        "tall": make_clip(d / "tall.mp4", seconds=2, w=90, h=160, seed=2),
    }


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def test_one_row_size_tiling_duration_and_audio(clips, tmp_path):
    out = comparison_video(clips, tmp_path / "ab.mp4", height=H)
    info = media.probe(out)
    band = info.height - H
    assert out == tmp_path / "ab.mp4" and info.has_audio
    assert 16 <= band <= 24, f"caption band of {band} px"
    # 160x90 clips stay 160 wide, the 90x160 one is 50 wide at height 90 (even); gaps of 4 px
    assert info.width == 160 + 160 + 50 + 2 * 4 and info.fps == 24.0
    assert abs(info.duration - 2.0) < 0.1, "as long as the longest clip"
    t = [0.5, 1.9]
    got = media.frames(out, t)
    x0 = {"source": 0, "short": 164, "tall": 328}
    for name, path in clips.items():
        w = 50 if name == "tall" else 160
        want = media.frames(path, [min(s, 0.99) if name == "short" else s for s in t], size=(w, H))
        for k in range(2):
            tile = got[k, :H, x0[name] : x0[name] + w]
            assert _mad(tile, want[k]) < 8, f"{name} at {t[k]} s is not in its tile"
    other = media.frames(clips["source"], [1.9], size=(160, H))[0]
    assert _mad(got[1, :H, 164:324], other) > 20, "the tiles are told apart"


def test_two_writers_of_one_comparison_at_once_leave_one_whole_video(clips, tmp_path):
    """Two threads writing the same comparison.mp4 (a re-run cell while the first still encodes): both
    succeed, the file is one whole video (sound included) and no temp file of either is left beside it."""
    import threading

    out, failed = tmp_path / "shared" / "ab.mp4", []
    start = threading.Barrier(2)

    def write(height: int) -> None:
        start.wait()
        try:
            comparison_video(clips, out, height=height)
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=write, args=(h,)) for h in (H, 2 * H)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    info = media.probe(out)
    assert any(info.height - h in range(16, 25) for h in (H, 2 * H)) and info.has_audio  # one writer's, whole
    assert abs(info.duration - 2.0) < 0.1
    assert [p.name for p in out.parent.iterdir()] == ["ab.mp4"]


def test_short_clip_holds_its_last_frame(clips, tmp_path):
    out = comparison_video({"short": clips["short"], "source": clips["source"]}, tmp_path / "h.mp4", height=H)
    end = media.frames(out, [1.2, 1.9])[:, :H, :160]
    last = media.frames(clips["short"], [0.98], size=(160, H))[0]
    assert _mad(end[0], last) < 8 and _mad(end[1], last) < 8


def test_grid_with_columns_and_silent(clips, tmp_path):
    out = comparison_video(list(clips.values()), tmp_path / "g.mp4", columns=2, height=H, audio=None)
    info = media.probe(out)
    band = (info.height - 4 - 2 * H) // 2
    assert info.width == 160 + 160 + 4 and 16 <= band <= 24
    assert not info.has_audio
    f = media.frames(out, [0.5])[0]
    tall = media.frames(clips["tall"], [0.5], size=(50, H))[0]
    y = H + band + 4
    assert _mad(f[y : y + H, 55:105], tall) < 8, "third clip starts the second row, centred in its column"


def test_captions_draw_text_in_a_band_under_each_tile(clips, tmp_path):
    with_caps = media.frames(comparison_video(clips, tmp_path / "c.mp4", height=H), [0.5])[0]
    bare_path = comparison_video(clips, tmp_path / "n.mp4", height=H, labels=False)
    assert media.probe(bare_path).height == H, "labels=False: no caption band"
    band = with_caps[H + 2 :, :160]
    tile = with_caps[:H, :160]
    text = band.max(-1) > 160
    assert text.any() and (~text).mean() > 0.6, "white text on a dark band"
    assert abs(float(band.mean()) - float(tile.mean())) > 30, "the band differs from the tile content"
    named = media.frames(
        comparison_video(clips, tmp_path / "x.mp4", height=H, labels=["a", "bb", "c"]), [0.5]
    )
    assert _mad(named[0, H + 2 :, :160], band) > 0.5, "a different caption draws different pixels"


def test_result_caption_says_strength_controls_and_local_preview(tmp_path):
    wire = {"settings": {"edit": {"strength": "flex_2", "controls": {"poseStrength": "precise"}}}}
    r = Result(tmp_path / "x.mp4", None, None, "u" * 36, 0.5, 1.0, None, "local", extra={"wire": wire})
    assert caption_for("flex_2", r) == "flex_2 + poseStrength=precise · local preview"
    assert caption_for("mine", r) == "mine · flex_2 + poseStrength=precise · local preview"
    plain = Result(tmp_path / "x.mp4", None, None, "u" * 36, 0.5, 1.0, None, "runware",
                   extra={"wire": {"settings": {"edit": {"strength": "adhere_1"}}}})  # fmt: skip
    assert caption_for("adhere_1", plain) == "adhere_1"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"columns": 0}, "columns"),
        ({"height": 4}, "height"),
        ({"audio": "nope"}, "audio"),
        ({"labels": ["only one"]}, "labels"),
        ({"fps": -1}, "fps"),
    ],
)
def test_bad_options_raise_before_writing(clips, tmp_path, kwargs, parameter):
    with pytest.raises(RequestError) as info:
        comparison_video(clips, tmp_path / "bad.mp4", **kwargs)
    assert info.value.parameter == parameter
    assert not (tmp_path / "bad.mp4").exists()


_ENV_SCRIPT = textwrap.dedent(
    """
    import os, sys
    {action}
    print("RUNWARE_API_KEY" in os.environ, os.environ.get("LUMAKIT_DOTENV_PROBE"))
    """
)


def _run_in(folder: Path, action: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("RUNWARE_API_KEY", "LUMAKIT_DOTENV_PROBE")}
    proc = subprocess.run([sys.executable, "-c", _ENV_SCRIPT.format(action=action)], cwd=folder, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return proc.stdout.strip()


def test_moviepy_dotenv_never_changes_the_environment(clips, tmp_path):
    (tmp_path / ".env").write_text("RUNWARE_API_KEY=rw-from-dotenv\nLUMAKIT_DOTENV_PROBE=loaded\n")
    # the hazard is real: moviepy's own import loads this .env
    assert _run_in(tmp_path, "import moviepy") == "True loaded"
    action = (
        "import lumakit as lk\n"
        f"lk.comparison_video([{str(clips['short'])!r}], 'out.mp4', height=32)\n"
        "assert 'moviepy' in sys.modules"
    )
    assert _run_in(tmp_path, action) == "False None"
    assert (tmp_path / "out.mp4").is_file()


def test_threads_importing_moviepy_at_once_all_get_the_whole_package_and_no_dotenv(tmp_path):
    """The first comparison videos of a kernel, written from two threads: each gets all of moviepy (not a
    half-imported module) and the .env guard of one never undoes the other's."""
    (tmp_path / ".env").write_text("RUNWARE_API_KEY=rw-from-dotenv\nLUMAKIT_DOTENV_PROBE=loaded\n")
    action = (
        "import threading\n"
        "from lumakit._moviepy import moviepy\n"
        "start, got = threading.Barrier(4), []\n"
        "def run():\n"
        "    start.wait()\n"
        "    got.append(hasattr(moviepy(), 'VideoFileClip'))\n"
        "threads = [threading.Thread(target=run) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert got == [True] * 4, got"
    )
    assert _run_in(tmp_path, action) == "False None"


def test_frame_arrays_and_bytes_are_clips_too(clips, tmp_path):
    from _clips import pattern

    frames = pattern(24, 160, 90, seed=5)
    out = comparison_video([frames, clips["short"].read_bytes()], tmp_path / "a.mp4", height=H, audio=None)
    info = media.probe(out)
    assert info.width == 2 * 160 + 4 and abs(info.duration - 1.0) < 0.1
    tile = media.frames(out, [0.5])[0, :H, :160]
    assert _mad(tile, frames[12]) < 8
    assert caption_for("clip 1", frames) == "clip 1"
