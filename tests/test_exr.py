"""EXR results (``exr_export=True``): EXR frames, alone, in a folder or zipped, shown as SDR video."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lumakit import _files, display, media
from lumakit.errors import MediaError, RequestError


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path / "lkcache"))


def _lavfi(dst: str, *out: str) -> None:
    subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=160x90:rate=12:duration=1", *out, dst], check=True)  # fmt: skip


@pytest.fixture
def exr(tmp_path: Path) -> tuple[Path, Path, Path]:
    """12 EXR frames (as ffmpeg writes them) in a folder and in a zip, and the same frames as SDR video."""
    folder = tmp_path / "frames"
    folder.mkdir()
    _lavfi(str(folder / "frame_%d.exr"), "-vf", "format=gbrpf32le", "-c:v", "exr")  # 1..12: natural order
    zipped = tmp_path / "result.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"exr/{p.name}")
    sdr = tmp_path / "sdr.mp4"
    _lavfi(str(sdr), "-c:v", "libx264", "-pix_fmt", "yuv420p")
    return folder, zipped, sdr


def _luma(frames: np.ndarray) -> np.ndarray:
    return frames.astype(float) @ np.array([0.299, 0.587, 0.114])


def test_exr_frames_are_shown_as_tone_mapped_video(exr: tuple[Path, Path, Path]) -> None:
    folder, zipped, sdr = exr
    kept = _files.digest(zipped)
    video = media.exr_video(zipped, fps=12)
    info = media.probe(video)
    assert (info.n_frames, info.fps, info.width, info.height, info.hdr) == (12, 12.0, 160, 90, None)
    got, want = _luma(media.frames(video, n=12)), _luma(media.frames(sdr, n=12))
    for i in range(12):  # each frame is its own EXR frame, in order (testsrc2 moves)
        corr = [np.corrcoef(got[i].ravel(), want[j].ravel())[0, 1] for j in range(12)]
        assert int(np.argmax(corr)) == i and corr[i] > 0.8, (i, corr)  # Hable bends the levels
    assert 20 < got.mean() < 235  # tone-mapped, neither black nor blown out
    assert _files.digest(zipped) == kept  # the user's file is untouched
    assert media.exr_video(zipped, fps=12) == video  # cached by content
    assert media.exr_video(folder, fps=12).read_bytes() == video.read_bytes()  # a folder of frames alike
    assert display.html_for(video).count("<video") == 1  # any lumakit function shows it


def test_exr_is_named_where_a_video_was_expected(exr: tuple[Path, Path, Path], tmp_path: Path) -> None:
    folder, zipped, _ = exr
    for what in (zipped, folder, next(folder.iterdir())):
        with pytest.raises(MediaError, match=r"EXR frames, not a video: lumakit\.media\.exr_video"):
            media.probe(what)
    empty = tmp_path / "nothing.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", "no frames")
    with pytest.raises(MediaError, match="no EXR frames"):
        media.exr_video(empty)
    with pytest.raises(RequestError, match="fps"):
        media.exr_video(zipped, fps=0)
    bad = tmp_path / "bad.exr"
    bad.write_bytes(b"not an exr")
    with pytest.raises(MediaError, match="ffmpeg failed to tone-map 1 EXR frame"):
        media.exr_video(bad)


def test_an_exr_download_keeps_its_kind() -> None:
    from lumakit.client._downloads import ext_for

    wire = {"outputFormat": "MP4", "settings": {"hdr": True, "exrExport": True}}
    assert ext_for(wire, "https://im.runware.ai/video/ws/0.5/vi/abc.zip?x=1") == "zip"
    assert ext_for(wire, "https://im.runware.ai/video/abc.exr") == "exr"
    assert ext_for(wire, "https://im.runware.ai/video/abc.mp4") == "mp4"
    assert ext_for({}, "https://im.runware.ai/video/abc.webm") == "webm"


def test_players_and_comparison_show_exr_frames_as_they_are_given(exr: tuple[Path, Path, Path]) -> None:
    _, zipped, sdr = exr
    page = display.html_for({"source": sdr, "exr result": zipped})
    assert page.count("<video") == 2 and "exr result · EXR, tone-mapped for display" in page
    assert media.materialize(zipped, fps=12) == media.exr_video(zipped, fps=12)


def test_grids_and_departure_take_exr_frames(exr: tuple[Path, Path, Path]) -> None:
    from lumakit import compare

    _, zipped, sdr = exr
    fig = compare.frame_grid({"source": sdr, "exr": zipped}, n=3)
    assert [ax.get_ylabel() for ax in fig.axes[::3]][:2] == ["source", f"exr · {media.EXR_MARK}"]
    d = compare.departure(sdr, zipped)
    assert len(d) == 12 and 0 < d.mean().mad < 0.5 and d.mean().ssim > 0.3  # the same pictures, tone-mapped
