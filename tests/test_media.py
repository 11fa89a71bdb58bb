"""lumakit.media: probe, frames, iter_frames, write_video, preview, and every bad-file case."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _clips import ffmpeg, make_clip, odd_sized, pattern, rotated_copy, square_x, with_audio

from lumakit import media
from lumakit.errors import MediaError, RequestError

CLIP = {"fps": 24}  # the shape of the shared `clip` fixture (conftest.py)


def ffmpeg_children() -> list[int]:
    """PIDs of ffmpeg processes whose parent is this test process (zombies included), from /proc."""
    me, out = os.getpid(), []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == me and "ffmpeg" in name:
            out.append(int(d.name))
    return out


def test_import_is_light() -> None:
    code = "import sys, lumakit.media; print(any(m in sys.modules for m in ('moviepy', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_probe_reports_what_was_written(clip: Path) -> None:
    info = media.probe(clip)
    assert (info.width, info.height, info.fps, info.n_frames) == (160, 90, 24.0, 24)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.has_audio is False and info.rotation == 0 and info.codec == "h264"
    assert info.path == clip and info.size == (160, 90)


def test_probe_audio_and_rotation(clip: Path, tmp_path: Path) -> None:
    assert media.probe(with_audio(clip, tmp_path / "a.mp4")).has_audio is True
    rot = media.probe(rotated_copy(clip, tmp_path / "r.mp4", 90))
    assert rot.rotation == 90 and (rot.width, rot.height) == (90, 160)


def test_rotated_frames_come_out_upright(clip: Path, tmp_path: Path) -> None:
    rot = rotated_copy(clip, tmp_path / "r.mp4", -90)
    f = media.frames(rot, [0.0])[0]
    assert f.shape == (160, 90, 3)
    # the square moves along x in the source; after a 90° display rotation it moves along y
    upright = np.rot90(media.frames(clip, [0.0])[0], k=-1)
    assert np.abs(f.astype(int) - upright.astype(int)).mean() < 6


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_odd_sizes_and_vp9(tmp_path: Path, suffix: str) -> None:
    src = odd_sized(tmp_path / f"odd{suffix}", 161, 91)
    info = media.probe(src)
    assert (info.width, info.height) == (161, 91)
    assert info.codec == ("vp9" if suffix == ".webm" else "h264")
    assert media.frames(src, n=3).shape == (3, 91, 161, 3)
    assert media.frames(src, n=2, size=(33, 21)).shape == (2, 21, 33, 3)


def test_frames_at_times_pick_the_frame_shown(clip: Path) -> None:
    expected = pattern(24)
    times = [0.9, 0.0, 0.5, 0.5, 7.0]  # unsorted, repeated, past the end
    got = media.frames(clip, times)
    assert got.shape == (5, 90, 160, 3) and got.dtype == np.uint8
    for t, f in zip(times, got, strict=True):
        i = min(int(t * 24), 23)
        assert square_x(f) == pytest.approx(square_x(expected[i]), abs=1.5), t


def test_frames_n_are_frame_centres(clip: Path) -> None:
    t = media.frame_times(clip, 4)
    assert np.allclose(t, [0.125, 0.375, 0.625, 0.875])
    xs = [square_x(f) for f in media.frames(clip, n=4)]
    assert xs == sorted(xs) and xs[0] > 10 and xs[-1] < 150


def test_frames_scaled_by_ffmpeg(clip: Path) -> None:
    small = media.frames(clip, n=2, size=(80, 44))
    assert small.shape == (2, 44, 80, 3)


def test_frames_bad_arguments(clip: Path) -> None:
    with pytest.raises(RequestError, match="times"):
        media.frames(clip, [0.1], n=2)
    with pytest.raises(RequestError, match="times"):
        media.frames(clip, [-1.0])
    with pytest.raises(RequestError, match="size"):
        media.frames(clip, n=2, size=(0, 10))
    with pytest.raises(RequestError, match="n"):
        media.frames(clip, n=0)


def test_iter_frames_streams_every_frame(clip: Path) -> None:
    xs = [square_x(f) for f in media.iter_frames(clip, size=(160, 90))]
    assert len(xs) == 24 and xs == sorted(xs)


def test_no_ffmpeg_left_behind(clip: Path) -> None:
    before = set(ffmpeg_children())
    for i, _ in enumerate(media.iter_frames(clip)):
        if i == 2:
            break  # early break closes the generator
    gen = media.iter_frames(clip)
    next(gen)
    assert media.live_processes() == 1  # the reader is really running while we hold it
    gen.close()
    with pytest.raises(ZeroDivisionError):
        for _ in media.iter_frames(clip):
            1 / 0  # noqa: B018
    media.frames(clip, n=3)
    media.write_video(clip.parent / "w.mp4", pattern(3), 24)
    with pytest.raises(MediaError):
        media.write_video(clip.parent / "bad.mp4", [np.zeros((8, 8, 3), np.uint8), np.zeros((4, 4, 3))], 24)
    assert media.live_processes() == 0
    assert set(ffmpeg_children()) - before == set()


def test_write_video_even_faststart_atomic(tmp_path: Path) -> None:
    out = media.write_video(tmp_path / "sub" / "o.mp4", pattern(5, 161, 91), 12, quality=8)
    info = media.probe(out)
    assert (info.width, info.height, info.n_frames, info.fps, info.has_audio) == (160, 90, 5, 12.0, False)
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < 64 < data.find(b"mdat")  # moov right after ftyp: +faststart
    assert [p.name for p in out.parent.iterdir()] == ["o.mp4"]  # no temp file left
    floats = media.write_video(tmp_path / "f.webm", pattern(3).astype(np.float32) / 255, 10, codec="vp9")
    assert media.probe(floats).codec == "vp9"


def test_write_video_empty_and_bad(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no frames"):
        media.write_video(tmp_path / "e.mp4", [], 24)
    with pytest.raises(MediaError, match="frame 1 has shape"):
        media.write_video(
            tmp_path / "m.mp4", [np.zeros((8, 8, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)], 24
        )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RequestError, match="quality"):
        media.write_video(tmp_path / "q.mp4", pattern(2), 24, quality=11)
    with pytest.raises(RequestError, match="codec"):
        media.write_video(tmp_path / "q.mp4", pattern(2), 24, codec="prores")
    with pytest.raises(RequestError, match="fps"):
        media.write_video(tmp_path / "q.mp4", pattern(2), 0)


def test_source_path_forms(clip: Path) -> None:
    assert media.source_path(str(clip)) == clip
    assert media.source_path("https://x.org/a.mp4") == "https://x.org/a.mp4"
    assert media.source_path(SimpleNamespace(path=clip, video_url="https://x.org/a.mp4")) == clip
    assert (
        media.source_path(SimpleNamespace(path=None, video_url="https://x.org/b.mp4"))
        == "https://x.org/b.mp4"
    )
    with pytest.raises(RequestError, match="video"):
        media.source_path(42)


def _bad_files(tmp: Path, clip: Path) -> dict[str, tuple[Path, str]]:
    data = clip.read_bytes()
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "text.mp4").write_text("this is not a video\n" * 50)
    (tmp / "trunc.mp4").write_bytes(data[: len(data) // 2])
    (tmp / "header_only.mp4").write_bytes(data[: data.find(b"mdat") + 16])
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", str(tmp / "audio.m4a"))
    (tmp / "adir.mp4").mkdir()
    return {
        "missing": (tmp / "nope.mp4", "not found"),
        "empty": (tmp / "empty.mp4", "empty"),
        "not a video": (tmp / "text.mp4", "not a video"),
        "truncated": (tmp / "trunc.mp4", "truncated"),
        "zero frames": (tmp / "header_only.mp4", "zero frames"),
        "audio only": (tmp / "audio.m4a", "no video stream"),
        "directory": (tmp / "adir.mp4", "directory"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "empty", "not a video", "truncated", "zero frames", "audio only", "directory"]
)
def test_bad_files_raise_media_error(clip: Path, tmp_path: Path, case: str) -> None:
    path, words = _bad_files(tmp_path, clip)[case]
    for fn in (
        media.probe,
        lambda p: media.frames(p, n=2),
        lambda p: next(media.iter_frames(p)),
        media.preview,
    ):
        with pytest.raises(MediaError, match=words) as e:
            fn(path)
        assert str(path) in str(e.value)
    assert media.live_processes() == 0


def test_preview_small_cached(clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path))
    big = make_clip(tmp_path / "big.mp4", seconds=1, w=641, h=360)
    with_sound = with_audio(big, tmp_path / "snd.mp4")
    p = media.preview(with_sound, max_side=200)
    info = media.probe(p)
    assert (info.width, info.height, info.has_audio, info.codec) == (200, 112, False, "h264")
    assert p.parent == tmp_path / "previews"
    mtime = p.stat().st_mtime_ns
    assert media.preview(with_sound, max_side=200) == p and p.stat().st_mtime_ns == mtime  # cache hit
    # same content under another name -> same preview
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(with_sound.read_bytes())
    assert media.preview(copy, max_side=200) == p
    # never upscaled; webm on request
    small = media.preview(clip, max_side=1000, codec="vp9")
    assert small.suffix == ".webm" and media.probe(small).size == (160, 90)


def test_write_video_preset_trades_size_and_is_checked(tmp_path: Path) -> None:
    frames = pattern(24, 160, 90, seed=3)
    fast = media.write_video(tmp_path / "fast.mp4", frames, 12, preset="ultrafast")
    default = media.write_video(tmp_path / "default.mp4", frames, 12)
    assert media.probe(fast).n_frames == media.probe(default).n_frames == 24
    assert fast.stat().st_size != default.stat().st_size  # a different encode, same frames
    with pytest.raises(RequestError, match="preset"):
        media.write_video(tmp_path / "bad.mp4", frames, 12, preset="warp")


_MATERIALIZE_RACE = """
import sys, threading, time
from pathlib import Path
from lumakit import media
data, go = Path(sys.argv[1]).read_bytes(), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.002)
start, failed = threading.Barrier(8), []
def run():
    start.wait()
    try:
        media.materialize(data)
    except BaseException as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
sys.exit("; ".join(failed) or None)
"""


def test_two_processes_of_threads_materializing_one_clip_end_with_one_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two kernels (eight threads each) turning the same bytes into a clip at once: every call succeeds, the
    preview cache holds one whole file and no temp file of any writer (temp names are unique per process
    AND thread: ``_files.atomic_path``)."""
    data = make_clip(tmp_path / "clip.mp4", seconds=1).read_bytes() * 512  # ~4 MB: the writes overlap
    (tmp_path / "data").write_bytes(data)
    go = tmp_path / "go"
    cache = tmp_path / "cache"
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(cache))
    cmd = [sys.executable, "-c", _MATERIALIZE_RACE, str(tmp_path / "data"), str(go)]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE) for _ in range(2)]
    go.touch()
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    out = media.materialize(data)
    assert out.read_bytes() == data
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temp file left behind
