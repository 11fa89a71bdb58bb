"""Every visual made from local-backend results says "local preview, not Ray" on itself; Ray's carry no mark.

Local results come from the real local backend; "Ray" results from the Runware stand-in (``_fake_runware``),
which answers like Runware (no ``lumakitLocal`` block), so the client records them as ``backend="runware"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client

from lumakit import compare, display
from lumakit._preview import PREVIEW_MARK, is_preview
from lumakit.client import Client, PollPolicy
from lumakit.local import LocalServer

FAST = PollPolicy(initial_delay=0.05, interval=0.05, max_interval=0.2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("preview-mark")
    clip = make_clip(tmp / "clip.mp4", seconds=1.0, fps=12, w=160, h=90)
    with (
        LocalServer(tmp / "server") as server,
        Client(
            backend="local", base_url=server.url, cache_dir=tmp / "local", progress=False, poll=FAST
        ) as client,
    ):
        local = client.modify(str(clip), "a glass dolphin", strength="flex_2")
    with make_client(FakeRunware(polls=1), tmp / "ray", sync=True) as client:
        ray = client.modify(str(clip), "a glass dolphin", strength="flex_2")
    assert local.is_local and not ray.is_local and ray.backend == "runware"
    return {"clip": str(clip), "local": local, "ray": ray}


def _marks(fig: Any) -> list[str]:
    """The preview marks drawn on a figure (found by the artist id, checked by their text)."""
    found = [t for t in fig.findobj(lambda a: a.get_gid() == compare.MARK_GID)]
    return [t.get_text() for t in found if t.get_visible()]


def _draw(draw: str, clip: str, result: Any) -> Any:
    if draw == "frame_grid":
        return compare.frame_grid({"source": clip, "flex_2": result}, n=2)
    if draw == "diff_grid":
        return compare.diff_grid(clip, {"flex_2": result}, n=2)
    return compare.departure_plot(clip, {"flex_2": result}, n=4)


@pytest.mark.parametrize("draw", ["frame_grid", "diff_grid", "departure_plot"])
def test_figures_of_local_results_carry_the_mark(runs: dict[str, Any], draw: str) -> None:
    assert _marks(_draw(draw, runs["clip"], runs["local"])) == [PREVIEW_MARK]


@pytest.mark.parametrize("draw", ["frame_grid", "diff_grid", "departure_plot"])
def test_figures_of_ray_results_carry_no_mark(runs: dict[str, Any], draw: str) -> None:
    fig = _draw(draw, runs["clip"], runs["ray"])
    assert _marks(fig) == []
    assert all(PREVIEW_MARK not in t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


def test_the_mark_is_in_the_saved_picture(runs: dict[str, Any], tmp_path: Path) -> None:
    """A handout made with save_grid keeps the mark: amber ink in the strip above the frames."""
    from matplotlib.image import imread

    fig = compare.frame_grid({"flex_2": runs["local"]}, n=2)
    png = imread(compare.save_grid(fig, tmp_path / "grid.png"))  # (H, W, 4) floats, white background
    strip = png[: int(0.3 * fig.dpi), :, :3]  # the band the mark is written in, above the time labels
    amber = (strip[..., 0] > 0.5) & (strip[..., 0] - strip[..., 2] > 0.3)
    assert amber.sum() > 30, "the mark's pixels are not in the saved PNG"


def test_synced_player_marks_local_clips_only(runs: dict[str, Any]) -> None:
    clip, local, ray = runs["clip"], runs["local"], runs["ray"]
    player = display.synced_player({"source": clip, "preview": local, "ray": ray}, embed=False)
    assert [s["preview"] for s in player.sources] == [False, True, False]
    assert player.previews == ["preview"] and player.preview_mark == PREVIEW_MARK
    bundle = player._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert f"{PREVIEW_MARK}: preview</div>" in data["text/html"]  # the static fallback says it too


def test_synced_player_of_ray_results_has_no_mark(runs: dict[str, Any]) -> None:
    player = display.synced_player({"source": runs["clip"], "ray": runs["ray"]}, embed=False)
    assert player.previews == [] and not any(s["preview"] for s in player.sources)
    bundle = player._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert PREVIEW_MARK not in data["text/html"]


def test_the_static_html_marks_each_local_clip_only(runs: dict[str, Any]) -> None:
    """The unsynced HTML (results' reprs, panels without widgets) captions local clips with the mark."""
    page = display.html_for({"source": runs["clip"], "local": runs["local"], "ray": runs["ray"]}, embed=False)
    captions = page.split("<figcaption")[1:]
    assert [PREVIEW_MARK in c for c in captions] == [False, True, False]


@pytest.mark.browser
@pytest.mark.slow
def test_the_player_draws_the_mark_on_each_preview_clip(runs: dict[str, Any], tmp_path: Path) -> None:
    """The player's script in Chromium (the standalone page runs the same player.js as the widget)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    videos = {"source": runs["clip"], "preview": runs["local"], "ray": runs["ray"]}
    page_path = display.save_page(videos, tmp_path / "page.html", autoplay=False, embed=False)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector(".lk-player figure")
            marks = page.eval_on_selector_all(
                ".lk-player figure",
                "figs => figs.map(f => (f.querySelector('.lk-preview-mark') || {}).textContent || '')",
            )
        finally:
            browser.close()
    assert marks == ["", PREVIEW_MARK, ""]


def test_a_cached_local_result_file_counts_as_a_preview(runs: dict[str, Any]) -> None:
    """Decided: a plain path counts when it is a cached local result file; sources and URLs do not."""
    assert is_preview(runs["local"].path) and is_preview(str(runs["local"].path))
    assert not is_preview(runs["ray"].path)
    assert not is_preview(runs["clip"]) and not is_preview("https://example.com/results/local/ab/x.mp4")
