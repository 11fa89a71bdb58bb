"""The synced player in a real browser: headless JupyterLab on loopback + Debian's Chromium via Playwright.

A notebook shows three clips (4 s, 4 s, 3 s) with ``lk.show_videos(..., sync=True)``. Pressing the player's
play button must advance all three ``currentTime``s together, and a seek must move all three.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (the `browser` extra)"
)
if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
    pytest.skip(
        "jupyterlab is not installed next to this Python (the `browser` extra)", allow_module_level=True
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(codec: str) -> dict:
    setup = (
        "import numpy as np\n"
        "from lumakit.media import write_video\n"
        "def clip(path, seconds, seed):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    n = int(seconds * 24)\n"
        "    base = rng.integers(40, 200, (90, 160, 3)).astype(np.uint8)\n"
        "    frames = []\n"
        "    for i in range(n):\n"
        "        f = base.copy(); x = int(i * 140 / n); f[35:55, x:x + 20] = 255; frames.append(f)\n"
        "    return write_video(path, frames, 24)\n"
        "clips = {'a': clip('a.mp4', 4, 0), 'b': clip('b.mp4', 4, 1), 'short': clip('c.mp4', 3, 2)}\n"
    )
    show = f"import lumakit as lk\nlk.show_videos(clips, sync=True, autoplay=False, codec={codec!r})\n"

    def cell(src: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [cell(setup), cell(show)],
    }


def _codec() -> str:
    """H.264 when this Chromium decodes it (Debian's does), else VP9/WebM."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ok = browser.new_page().evaluate(
                "() => document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.64001F\"')"
            )
        finally:
            browser.close()
    return "h264" if ok else "vp9"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("lab")
    codec = _codec()
    (root / "sync.ipynb").write_text(json.dumps(_notebook(codec)))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".cfg"),
        "JUPYTER_RUNTIME_DIR": str(root / ".rt"),
        "LUMAKIT_CACHE_DIR": str(root / ".cache"),
        "LUMAKIT_BACKEND": "local",
    }
    env.pop("RUNWARE_API_KEY", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
           "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={root / '.ws'}",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = (root / "server.log").read_text()[-3000:]
                    raise RuntimeError("jupyter lab did not start:\n" + tail) from None
                time.sleep(0.5)
        yield f"{base}/lab/tree/sync.ipynb?token={token}", codec
    finally:
        # the server and its kernels run in their own session: end exactly that process group
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w && w.content && w.content.widgets && w.content.widgets.length === 2 && k
            && k.connectionStatus === 'connected' && k.status === 'idle');
}"""
TIMES = "() => Array.from(document.querySelectorAll('.lk-player video')).map(v => v.currentTime)"


@pytest.mark.timeout(600)
def test_synced_player_plays_and_seeks_together(lab: tuple[str, str]) -> None:
    url, codec = lab
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_function(KERNEL_IDLE)
            # fire and forget: execute() resolves only when every cell has run
            page.evaluate(
                "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"
            )
            # three videos, metadata loaded and a frame decoded
            page.wait_for_function(
                "() => { const v = document.querySelectorAll('.lk-player video');"
                " return v.length === 3 && Array.from(v).every(x => x.readyState >= 2); }"
            )
            videos = page.locator(".lk-player video")
            for i in range(3):
                tag = videos.nth(i)
                assert tag.evaluate("v => v.muted && v.controls && v.playsInline")
                assert tag.evaluate("v => v.src.startsWith('data:video/')")
            durations = page.evaluate(
                "() => Array.from(document.querySelectorAll('.lk-player video')).map(v => v.duration)"
            )
            assert [round(d) for d in durations] == [4, 4, 3], (durations, codec)
            assert page.evaluate(TIMES) == [0, 0, 0]  # autoplay=False: nothing runs yet

            page.locator(".lk-player .lk-play").click()
            page.wait_for_function(f"() => ({TIMES})().every(t => t > 0.8)", timeout=30_000)
            samples = []
            for _ in range(5):
                samples.append(page.evaluate(TIMES))
                page.wait_for_timeout(150)
            for s in samples:
                assert max(s) - min(s) < 0.1, samples
            assert samples[-1][0] > samples[0][0] + 0.3, samples  # really advancing
            assert page.evaluate(
                "() => Array.from(document.querySelectorAll('.lk-player video')).every(v => !v.paused)"
            )

            # pause, then seek with the shared slider: all three move
            page.locator(".lk-player .lk-play").click()
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.lk-player video')).every(v => v.paused)"
            )
            page.evaluate(
                "() => { const s = document.querySelector('.lk-player .lk-seek'); s.value = '2.5';"
                " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }"
            )
            page.wait_for_function(f"() => ({TIMES})().every(t => Math.abs(t - 2.5) < 0.1)", timeout=30_000)
            # seek while playing: still together, and the slider follows
            page.locator(".lk-player .lk-play").click()
            page.evaluate(
                "() => { const s = document.querySelector('.lk-player .lk-seek'); s.value = '0.5';"
                " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }"
            )
            page.wait_for_function(f"() => ({TIMES})().every(t => t > 0.6 && t < 1.5)", timeout=30_000)
            s = page.evaluate(TIMES)
            assert max(s) - min(s) < 0.1, s
        finally:
            browser.close()


def test_saved_page_plays_in_sync(tmp_path: Path) -> None:
    """The standalone page of ``save_page`` runs the same player without Jupyter."""
    from _clips import make_clip

    from lumakit.display import save_page

    codec = _codec()
    clips = {f"c{i}": make_clip(tmp_path / f"c{i}.mp4", seconds=s, seed=i) for i, s in enumerate((3, 3, 2))}
    page = save_page(clips, tmp_path / "page.html", autoplay=False, codec=codec)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page()
            pg.set_default_timeout(60_000)
            pg.goto(page.as_uri())
            pg.wait_for_function(
                "() => { const v = document.querySelectorAll('.lk-player video');"
                " return v.length === 3 && Array.from(v).every(x => x.readyState >= 2); }"
            )
            pg.locator(".lk-player .lk-play").click()
            pg.wait_for_function(f"() => ({TIMES})().every(t => t > 0.5)")
            s = pg.evaluate(TIMES)
            assert max(s) - min(s) < 0.1, s
            pg.locator(".lk-player .lk-play").click()
            pg.evaluate(
                "() => { const s = document.querySelector('.lk-player .lk-seek'); s.value = '1.7';"
                " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }"
            )
            pg.wait_for_function(f"() => ({TIMES})().every(t => Math.abs(t - 1.7) < 0.1)")
        finally:
            browser.close()
