"""The saved report in a real browser (Debian's Chromium via Playwright): it plays, and plays in sync.

No Jupyter: the file is opened from disk, as a colleague would open it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
TIMES = "() => Array.from(document.querySelectorAll('.lk-player video')).map(v => v.currentTime)"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (the `browser` extra)"
)


@pytest.mark.timeout(300)
def test_report_opens_offline_and_plays_in_sync(tmp_path: Path) -> None:
    from _clips import make_clip

    import lumakit as lk

    source = make_clip(tmp_path / "source.mp4", seconds=3, seed=0)
    runs = {
        f"r{i}": make_clip(tmp_path / f"r{i}.mp4", seconds=s, seed=i) for i, s in ((1, 3), (2, 3), (3, 2))
    }
    report = lk.save_report(runs, tmp_path / "report.html", source=source)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context()
            requests: list[str] = []
            ctx.on("request", lambda r: requests.append(r.url))
            pg = ctx.new_page()
            pg.set_default_timeout(60_000)
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(report.as_uri())
            pg.wait_for_function(
                "() => { const v = document.querySelectorAll('.lk-player video');"
                " return v.length === 4 && Array.from(v).every(x => x.readyState >= 2); }"
            )
            assert pg.evaluate(TIMES) == [0, 0, 0, 0]  # the report does not autoplay
            assert pg.evaluate(
                "() => Array.from(document.querySelectorAll('img.figure')).every(i => i.naturalWidth > 100)"
            ), "frame grid and departure plot decode"
            pg.locator(".lk-player .lk-play").click()
            pg.wait_for_function(f"() => ({TIMES})().every(t => t > 0.6)")
            samples = []
            for _ in range(4):
                samples.append(pg.evaluate(TIMES))
                pg.wait_for_timeout(150)
            for s in samples:
                assert max(s) - min(s) < 0.1, samples
            assert samples[-1][0] > samples[0][0] + 0.2, samples
            pg.locator(".lk-player .lk-play").click()
            pg.evaluate(
                "() => { const s = document.querySelector('.lk-player .lk-seek'); s.value = '1.5';"
                " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }"
            )
            pg.wait_for_function(f"() => ({TIMES})().every(t => Math.abs(t - 1.5) < 0.1)")
            pg.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            assert errors == []
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
        finally:
            browser.close()


@pytest.mark.timeout(300)
def test_report_plays_the_sources_sound_and_the_user_can_switch_it_off(tmp_path: Path) -> None:
    from _clips import make_clip, with_audio

    import lumakit as lk

    source = with_audio(make_clip(tmp_path / "plain.mp4", seconds=2, seed=0), tmp_path / "source.mp4")
    runs = {"r1": make_clip(tmp_path / "r1.mp4", seconds=2, seed=1)}
    report = lk.save_report(runs, tmp_path / "report.html", source=source)
    muted = "() => Array.from(document.querySelectorAll('.lk-player video')).map(v => v.muted)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page()
            pg.set_default_timeout(60_000)
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(report.as_uri())
            pg.wait_for_function(
                "() => { const v = document.querySelectorAll('.lk-player video');"
                " return v.length === 2 && Array.from(v).every(x => x.readyState >= 2); }"
            )
            assert pg.evaluate(muted) == [False, True]  # the source is heard, the result is not
            options = pg.eval_on_selector_all(".lk-player .lk-sound option", "o => o.map(x => x.textContent)")
            assert options == ["sound off", "sound: source"]
            pg.locator(".lk-player .lk-play").click()  # a click: the browser lets the source play with sound
            pg.wait_for_function(f"() => ({TIMES})().every(t => t > 0.4)")
            assert pg.evaluate(muted) == [False, True]
            pg.locator(".lk-player .lk-sound").select_option("-1")
            assert pg.evaluate(muted) == [True, True]
            pg.locator(".lk-player .lk-sound-toggle").click()  # the button brings the last clip heard back
            assert pg.evaluate(muted) == [False, True]
            assert errors == []
        finally:
            browser.close()


@pytest.mark.timeout(300)
def test_autoplay_refused_with_sound_plays_muted_and_a_click_brings_the_sound(tmp_path: Path) -> None:
    from _clips import make_clip, with_audio

    import lumakit as lk

    source = with_audio(make_clip(tmp_path / "plain.mp4", seconds=2, seed=0), tmp_path / "source.mp4")
    page = lk.save_page({"source": source, "r1": make_clip(tmp_path / "r1.mp4", seconds=2, seed=1)},
                        tmp_path / "page.html")  # fmt: skip
    muted = "() => Array.from(document.querySelectorAll('.lk-player video')).map(v => v.muted)"
    with sync_api.sync_playwright() as p:
        # the policy of a page nobody has clicked yet: no sound before a gesture
        args = [*ARGS, "--autoplay-policy=document-user-activation-required"]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            pg = browser.new_page()
            pg.set_default_timeout(60_000)
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(page.as_uri())
            pg.wait_for_function(f"() => ({TIMES})().length === 2 && ({TIMES})().every(t => t > 0.3)")
            assert pg.evaluate(muted) == [True, True]  # refused sound: the group still plays, muted
            toggle = pg.locator(".lk-player .lk-sound-toggle")
            assert toggle.get_attribute("title") == "click for sound"
            toggle.click()
            assert pg.evaluate(muted) == [False, True]
            assert errors == []
        finally:
            browser.close()
