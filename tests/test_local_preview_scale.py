"""The local preview renderer at real sizes: preview-scale painting, one source decode a sweep (issue 18)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from _clips import ClipSet

from lumakit import media
from lumakit.local import render, source
from lumakit.request import ModifyRequest


def test_preview_size_bounds_what_is_painted() -> None:
    assert source.preview_size(1920, 1080) == (480, 270)
    assert source.preview_size(720, 1280) == (270, 480)
    assert source.preview_size(160, 90) == (160, 90)  # never upscaled
    assert source.preview_size(100_000, 50_000) == (480, 240)  # a declared size never sets the memory


def test_a_sweep_decodes_the_source_once_and_keeps_the_size(
    clip_set: ClipSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = clip_set["720p30_audio"]
    decodes: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], *a: object, **k: object) -> object:
        if str(clip) in cmd and "copy" not in cmd:  # a decode (a probe only copies packets)
            decodes.append(cmd)
        return real_run(cmd, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr(source.subprocess, "run", spy)
    painted: list[tuple[int, int]] = []
    real_painter = render._ModifyPainter

    def painter(plan: object, w: int, h: int, *a: object) -> object:
        painted.append((w, h))
        return real_painter(plan, w, h, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_ModifyPainter", painter)
    outs = []
    for level in ("adhere_1", "reimagine_3"):
        out = tmp_path / f"{level}.mp4"
        render.render_modify(ModifyRequest(str(clip), "a glass dolphin", strength=level), clip, out)
        outs.append(media.probe(out))
    assert len(decodes) == 1, "the second job of the sweep read the proxy, not the 720p source"
    assert painted == [(480, 270), (480, 270)]
    for info in outs:
        assert (info.width, info.height, info.n_frames, info.fps) == (1280, 720, 300, 30.0)
    again = tmp_path / "again.mp4"
    render.render_modify(ModifyRequest(str(clip), "a glass dolphin", strength="reimagine_3"), clip, again)
    first = media.frames(tmp_path / "reimagine_3.mp4", n=5, size=(160, 90))
    assert np.array_equal(first, media.frames(again, n=5, size=(160, 90)))  # deterministic


def test_hdr_and_rotated_sources_render_upright_and_in_sdr(clip_set: ClipSet, tmp_path: Path) -> None:
    for name in ("rotated", "hlg"):
        clip = clip_set[name]
        info = media.probe(clip)
        out = render.render_modify(ModifyRequest(str(clip), "oil painting", strength="adhere_1"), clip,
                                   tmp_path / f"{name}.mp4")  # fmt: skip
        assert out["strength"] == "adhere_1"
        got = media.probe(tmp_path / f"{name}.mp4")
        assert (got.width, got.height, got.hdr) == (info.width, info.height, None)
