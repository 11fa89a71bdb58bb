"""mediapy conventions in show_video(s): frame arrays and bytes, fps=, border=, GIF fallback, clear errors."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from _clips import make_clip, pattern

from lumakit import compare, display, media
from lumakit.errors import RequestError

SRC = re.compile(r'<(video|img) src="data:([a-z]+/[a-z0-9]+);base64,([^"]+)"')


def _embedded(html: str, folder: Path) -> list[media.VideoInfo]:
    folder.mkdir(exist_ok=True)
    infos = []
    for i, (_tag, mime, data) in enumerate(SRC.findall(html)):
        path = folder / f"embedded{i}.{mime.split('/')[1]}"
        path.write_bytes(base64.b64decode(data))
        infos.append(media.probe(path))
    return infos


def test_frame_arrays_play_at_the_given_fps(tmp_path):
    frames = pattern(12, 64, 36)
    floats = frames.astype(np.float32) / 255.0
    html = display.show_videos({"u8": frames, "float": floats}, fps=12, return_html=True)
    infos = _embedded(html, tmp_path)
    assert [(i.n_frames, i.fps, i.width, i.height) for i in infos] == [(12, 12.0, 64, 36)] * 2
    assert "u8" in html and "float" in html
    one = _embedded(display.show_video(frames[:6], return_html=True), tmp_path / "one")
    assert one[0].n_frames == 6 and one[0].fps == 24.0, "default 24 fps"
    batch = np.stack([frames, frames[::-1]])  # (N, T, H, W, 3): N videos
    assert len(SRC.findall(display.show_videos(batch, return_html=True))) == 2
    gray = _embedded(display.show_videos(frames[..., 0], fps=6, return_html=True), tmp_path / "g")
    assert gray[0].n_frames == 12 and gray[0].fps == 6.0


def test_bytes_of_a_video_file(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=0.5, w=64, h=36)
    html = display.show_videos([clip.read_bytes()], ["from bytes"], return_html=True)
    assert len(_embedded(html, tmp_path)) == 1 and "from bytes" in html
    with pytest.raises(RequestError) as info:
        display.show_videos([b"\x00" * 100_000], return_html=True)
    assert (
        info.value.parameter == "videos"
        and "<100000 bytes>" in str(info.value)
        and len(str(info.value)) < 300
    )


def test_errors_never_dump_an_array(tmp_path):
    bad = np.zeros((10, 90, 160, 5), np.uint8)
    for call in (
        lambda: display.show_videos(bad, return_html=True),
        lambda: display.show_video(bad, return_html=True),
        lambda: compare.frame_grid(bad),
        lambda: display.show_videos(np.zeros((3, 4), np.uint8), return_html=True),
    ):
        with pytest.raises(RequestError) as info:
            call()
        text = str(info.value)
        assert "array of shape" in text and "array([" not in text and len(text) < 300, text


def test_a_dict_with_titles_is_an_error(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=0.5, w=64, h=36)
    with pytest.raises(RequestError) as info:
        display.show_videos({"a": clip}, titles=["b"], return_html=True)
    assert info.value.parameter == "titles"
    with pytest.raises(RequestError):
        display.synced_player({"a": clip}, titles=["b"])


def test_border_and_fps_are_checked(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=0.5, w=64, h=36)
    assert "border:3px solid #000" in display.show_videos([clip], border=3, return_html=True)
    assert "border:1px solid" in display.show_video(clip, border=True, return_html=True)
    assert "border:" not in display.show_video(clip, return_html=True)
    assert display.synced_player([clip], border=2).border == 2
    with pytest.raises(RequestError, match="border"):
        display.show_videos([clip], border=-1, return_html=True)
    with pytest.raises(RequestError, match="fps"):
        display.show_videos([pattern(4, 32, 18)], fps=0, return_html=True)


def test_gif_fallback(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=1.0, w=64, h=36)
    html = display.show_videos({"clip": clip}, codec="gif", return_html=True)
    found = SRC.findall(html)
    assert [(t, m) for t, m, _ in found] == [("img", "image/gif")] and "<video" not in html
    gif = base64.b64decode(found[0][2])
    assert gif[:4] == b"GIF8"
    path = tmp_path / "x.gif"
    path.write_bytes(gif)
    info = media.probe(path)
    assert (info.width, info.height) == (64, 36) and info.fps <= 15 and info.n_frames >= 10
    with pytest.raises(RequestError, match="sync=False"):
        display.synced_player([clip], codec="gif")
    with pytest.raises(RequestError) as bad:
        display.show_videos([clip], codec="png", return_html=True)
    assert bad.value.parameter == "codec" and "gif" in str(bad.value)
