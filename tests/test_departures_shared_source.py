"""A sweep's results measured against one source (a departure plot, a report) share one decode of the source:
the figures are exactly those of measuring each result alone, with one source reader for the whole group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _clips import ffmpeg

from lumakit import compare, departure_metrics, media


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 4 s 30 fps source, three results of the same length and rate, one at another rate (25 fps)."""
    d = tmp_path_factory.mktemp("shared-source")
    src = d / "source.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=4", "-pix_fmt", "yuv420p", str(src))
    out = {"source": src}
    for name, vf in {"hue": "hue=h=40", "blur": "gblur=sigma=2", "flip": "hflip", "25fps": "fps=25"}.items():
        out[name] = d / f"{name}.mp4"
        ffmpeg("-i", str(src), "-vf", vf, "-pix_fmt", "yuv420p", str(out[name]))
    return out


def readers_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file each frame reader opens, in order (departure_metrics reads through media.frames_at)."""
    opened: list[str] = []
    real = media.frames_at

    def counting(info, *args, **kwargs):
        opened.append(Path(info.path).name)
        return real(info, *args, **kwargs)

    monkeypatch.setattr(media, "frames_at", counting)
    return opened


def test_results_of_one_sweep_read_the_source_once_and_measure_as_alone(sweep, monkeypatch):
    results = [sweep[k] for k in ("hue", "blur", "flip", "25fps")]
    departure_metrics._memo.clear()
    alone = [compare.departure(sweep["source"], r) for r in results]
    departure_metrics._memo.clear()
    opened = readers_of(monkeypatch)
    together = departure_metrics.departures(sweep["source"], results)
    assert opened.count("source.mp4") == 2  # one for the three 30 fps results, one for the 25 fps one
    assert sorted(opened) == sorted(["source.mp4"] * 2 + [r.name for r in results])  # each result once
    for a, b in zip(alone, together, strict=True):
        assert np.array_equal(a.times, b.times) and np.array_equal(a.mad, b.mad)
        assert np.array_equal(a.ssim, b.ssim)
    assert len(together[3]) == 100 and len(together[0]) == 120  # every frame of each
    assert together[2].mean().mad > together[0].mean().mad > 0  # a mirror departs further than a hue turn


def test_a_departure_plot_of_a_sweep_reads_the_source_once(sweep, monkeypatch):
    departure_metrics._memo.clear()
    opened = readers_of(monkeypatch)
    fig = compare.departure_plot(sweep["source"], {k: sweep[k] for k in ("hue", "blur", "flip")})
    assert opened.count("source.mp4") == 1 and len(opened) == 4
    (ax, _bars) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == ["hue", "blur", "flip"]
    opened.clear()
    compare.departure_plot(sweep["source"], {k: sweep[k] for k in ("hue", "blur")})
    assert opened == []  # measured already: the plot of the same runs costs no decode


def test_a_region_and_n_are_measured_the_same_way_together(sweep):
    results = [sweep["hue"], sweep["flip"]]
    box = (0.25, 0.25, 0.75, 0.75)
    departure_metrics._memo.clear()
    alone = [compare.departure(sweep["source"], r, n=12, region=box) for r in results]
    departure_metrics._memo.clear()
    together = departure_metrics.departures(sweep["source"], results, n=12, region=box)
    for a, b in zip(alone, together, strict=True):
        assert isinstance(b, compare.RegionDeparture) and len(b) == 12
        assert np.array_equal(a.inside.mad, b.inside.mad) and np.array_equal(a.outside.ssim, b.outside.ssim)
