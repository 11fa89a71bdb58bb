"""Every clip a user brings goes through the whole A/B flow on the local backend (issue 18).

sweep of two levels -> frame_grid -> departure_plot -> save_report -> comparison_video -> show_videos HTML
-> Result.save, each output checked for what a user would see: frame counts, durations within a frame,
sound where the source has it, and the HDR mark on HDR clips.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _clips import CLIP_SET, ClipSet

import lumakit as lk
from lumakit import media
from lumakit.client import Client, PollPolicy
from lumakit.local import LocalServer

FAST = PollPolicy(initial_delay=0.05, interval=0.05, max_interval=0.2)
LEVELS = ["adhere_1", "reimagine_3"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    tmp = tmp_path_factory.mktemp("flow")
    with (
        LocalServer(tmp / "server") as server,
        Client(backend="local", base_url=server.url, cache_dir=tmp / "cache", progress=False, poll=FAST) as c,
    ):
        yield c


def _within_a_frame(a: float, b: float, fps: float) -> bool:
    return abs(a - b) <= 1.0 / fps + 1e-3


@pytest.mark.parametrize("name", list(CLIP_SET))
def test_every_clip_goes_through_the_whole_flow(
    name: str, clip_set: ClipSet, client: Client, tmp_path: Path
) -> None:
    clip = clip_set[name]
    src = media.probe(clip)
    seconds, fps, (w, h), audio, hdr = CLIP_SET[name]
    assert (src.width, src.height, src.has_audio, src.hdr) == (w, h, audio, hdr)
    assert _within_a_frame(src.duration, seconds, src.fps) and (src.vfr or src.fps == fps)

    # sweep: every result has the source's frames, length and (even-rounded) size
    runs = client.sweep(str(clip), "a glass dolphin", strengths=LEVELS)
    assert list(runs) == LEVELS
    for r in runs.values():
        info = media.probe(r.path)
        assert info.n_frames == src.n_frames, name
        assert _within_a_frame(info.duration, src.duration, src.fps), (info.duration, src.duration)
        assert (info.width, info.height) == (w // 2 * 2, h // 2 * 2)
        assert info.hdr is None  # the local preview is SDR

    # frame grid: a row per clip, a column per time, the HDR mark on an HDR source's row
    shown = {"source": clip, **runs}
    fig = lk.frame_grid(shown, n=4)
    images = [ax for ax in fig.axes if ax.get_images()]
    assert len(images) == 3 * 4
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert (media.HDR_MARK in labels[0]) == bool(hdr) and not any(media.HDR_MARK in x for x in labels[1:])

    # departure: one point per result frame, spanning the clip
    plot = lk.departure_plot(clip, runs)
    lines = plot.axes[0].get_lines()
    assert [len(line.get_xdata()) for line in lines] == [src.n_frames] * 2
    assert all(_within_a_frame(float(line.get_xdata()[-1]), src.duration, src.fps / 2) for line in lines)
    d = lk.departure(clip, runs["reimagine_3"])
    assert d.mean().mad > lk.departure(clip, runs["adhere_1"]).mean().mad  # the dial still turns

    # report: three clips in the player, the HDR mark, the missing-sound note
    page = runs.save_report(tmp_path / "report.html", source=clip).read_text()
    state = json.loads(re.search(r"const state = (\{.*?\});\n", page).group(1).replace("<\\/", "</"))
    assert [s["title"].split(" · ")[0] for s in state["sources"]] == ["source", *LEVELS]
    assert (media.HDR_MARK in page) == bool(hdr)
    assert ("The source has sound; these results have none: adhere_1, reimagine_3" in page) == audio
    for s in state["sources"]:
        assert base64.b64decode(s["src"].split(",", 1)[1])[4:8] == b"ftyp"

    # comparison video: as long as the longest clip, the source's sound when it has any
    out = lk.comparison_video(shown, tmp_path / "ab.mp4", height=64)
    cmp = media.probe(out)
    assert _within_a_frame(cmp.duration, src.duration, cmp.fps) and cmp.has_audio == audio

    # show_videos HTML: three players, the HDR mark on an HDR source
    html = lk.show_videos(shown, sync=False, return_html=True)
    assert html.count("<video") == 3
    assert (media.HDR_MARK in html) == bool(hdr)

    # Result.save: the file itself, byte for byte
    kept = runs["adhere_1"].save(tmp_path / "kept")
    assert kept.read_bytes() == Path(runs["adhere_1"].path).read_bytes()
