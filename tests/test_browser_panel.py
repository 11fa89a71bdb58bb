"""ModifyPanel in a real browser: headless JupyterLab on loopback, Debian's Chromium driven by Playwright.

Screenshots (before and after Generate) go to ``test-output/browser/`` at the repo root for a reviewer.
Skips, with the reason, when /usr/bin/chromium or playwright is missing. Never downloads a browser.
"""

from __future__ import annotations

import contextlib
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

import nbformat
import pytest
from _clips import make_clip

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop the server and every kernel it started (they share its process group)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _shutdown_kernels(base: str, token: str) -> None:
    """Shut down every kernel this server started (kernels run in their own sessions)."""
    try:
        with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
            kernels = json.load(r)
        for k in kernels:
            req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
            urllib.request.urlopen(req, timeout=10).close()
    except OSError:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def playwright_api():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install lumakit[browser])")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A headless JupyterLab on 127.0.0.1 with a notebook that makes a ModifyPanel; killed afterwards."""
    root = tmp_path_factory.mktemp("lab")
    make_clip(root / "clip.mp4", seconds=1.0, w=160, h=90)
    cells = [
        "import lumakit as lk\n"
        "client = lk.Client()\n"
        "panel = lk.ModifyPanel(client, source='clip.mp4', prompt='the square made of blown glass')\n"
        "panel",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "panel.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, LUMAKIT_CACHE_DIR=str(root / "cache"), JUPYTER_CONFIG_DIR=str(root / "jcfg"),
               JUPYTER_RUNTIME_DIR=str(root / "jrt"), PYTHONPATH=str(REPO))  # fmt: skip
    for name in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL", "LUMAKIT_BACKEND"):
        env.pop(name, None)
    log = open(root / "lab.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield f"{base}/lab/tree/panel.ipynb?token={token}", root
    finally:
        _shutdown_kernels(base, token)
        _kill_group(proc)
        log.close()


def test_modify_panel_renders_previews_and_generates_in_chromium(playwright_api, lab):
    url, root = lab
    OUT.mkdir(parents=True, exist_ok=True)
    browser = playwright_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(url)
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        page.wait_for_function(
            "() => { const s = window.jupyterapp.shell.currentWidget?.sessionContext;"
            " return s && s.session?.kernel?.status === 'idle'; }",
            timeout=60_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        panel = page.locator(".lumakit-modify-panel")
        panel.wait_for(timeout=60_000)
        preview = panel.locator("pre.lumakit-preview")
        preview.wait_for(timeout=30_000)
        wire = json.loads(preview.inner_text())
        assert wire["settings"] == {"edit": {"strength": "flex_2"}}
        assert wire["inputs"] == {"video": "<upload clip.mp4>"}
        price = panel.locator(".lumakit-price")
        assert price.inner_text().strip() == "≈ $1.08, estimate"  # before the run, next to Generate
        panel.screenshot(path=str(OUT / "modify-panel-before.png"))

        # move the strength slider one step right, from the keyboard (as a user can)
        handle = panel.locator(".widget-slider .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.lumakit-modify-panel pre.lumakit-preview')"
            ".innerText.includes('\"flex_3\"')",
            timeout=15_000,
        )
        assert json.loads(preview.inner_text())["settings"] == {"edit": {"strength": "flex_3"}}

        panel.get_by_role("button", name="Generate").click()
        video = panel.locator("video").last
        video.wait_for(timeout=120_000)
        page.wait_for_function(
            "() => { const vs = [...document.querySelectorAll('.lumakit-modify-panel video')];"
            " return vs.length >= 2 && vs.every(v => v.readyState >= 2 && v.currentTime > 0); }",
            timeout=60_000,
        )
        can_h264 = page.evaluate(
            "() => document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')"
        )
        status = panel.locator(".widget-html").filter(has_text="done").first.inner_text()
        assert "done" in status
        page.wait_for_function(
            "() => document.querySelector('.lumakit-modify-panel .lumakit-price')"
            ".innerText.trim() === 'cached: $0'",
            timeout=15_000,
        )  # the same request again would be a cache hit
        time.sleep(0.5)
        panel.screenshot(path=str(OUT / "modify-panel-after.png"))
        page.screenshot(path=str(OUT / "modify-panel-page.png"), full_page=True)
        assert can_h264 in ("probably", "maybe")
        # the result is also a plain output of the cell: saved in the .ipynb, readable without a kernel
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            saved = nbformat.read(root / "panel.ipynb", as_version=4)
            plain = [o.get("data", {}).get("text/plain", "") for o in saved.cells[0].get("outputs", [])]
            if any(p.startswith("Result(modify") for p in plain):
                break
            time.sleep(0.5)
        assert any(p.startswith("Result(modify") for p in plain), plain
        assert any("<video" in o.get("data", {}).get("text/html", "") for o in saved.cells[0].outputs)
    finally:
        browser.close()
    shutil.copy(root / "lab.log", OUT / "lab.log")
