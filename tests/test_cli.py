"""The `lumakit` command as a user runs it: help, exit code 2 for bad input, demo, grid, history, serve."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lumakit import cli, media

COMMANDS = ("demo", "modify", "sweep", "grid", "serve", "history")


def run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point's code in a fresh interpreter (no state shared with the test)."""
    return subprocess.run(
        [sys.executable, "-m", "lumakit.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: lumakit") and command in out


def test_bad_strength_exits_2_naming_the_parameter_and_sends_nothing(clip: Path) -> None:
    proc = run_cli("modify", str(clip), "a glass square", "--strength", "flx_2", "--no-progress")
    assert proc.returncode == 2
    assert "strength='flx_2'" in proc.stderr and "did you mean 'flex_2'" in proc.stderr
    assert "reimagine_3" in proc.stderr  # the allowed values are listed
    assert "Traceback" not in proc.stderr
    ledger = run_cli("history")
    assert ledger.returncode == 0 and "no tasks yet" in ledger.stdout


def test_missing_file_and_conflicts_exit_2(clip: Path, tmp_path: Path) -> None:
    missing = run_cli("modify", str(tmp_path / "nope.mp4"), "p", "--no-progress")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    conflict = run_cli("modify", str(clip), "p", "--auto-controls", "--strength", "flex_1", "--no-progress")
    assert conflict.returncode == 2 and "cannot be combined" in conflict.stderr
    out_of_range = run_cli("modify", str(clip), "p", "--depth-blur", "1.5", "--no-progress")
    assert out_of_range.returncode == 2 and "depth_blur" in out_of_range.stderr
    usage = run_cli("modify")
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_demo_writes_a_grid_and_a_synced_page_then_reruns_from_cache(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run_cli("demo", "--source", str(clip), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "local previews, not Ray" in proc.stderr  # the backend says what it is, once
    assert "sweep" in proc.stderr  # tqdm progress on the terminal
    page = (out / "index.html").read_text()
    assert page.count("<video") == 4  # source + one per band
    png = (out / "grid.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    info = media.probe(out / "comparison.mp4")  # source + three bands in one captioned row
    assert info.width > 4 * info.height and abs(info.duration - 1.0) < 0.1
    report = (out / "report.html").read_text()
    assert "flex_2" in report and "local preview renderer, not Ray" in report and 'alt="departure"' in report
    assert f"comparison video: {out / 'comparison.mp4'}" in proc.stdout and "report.html" in proc.stdout
    rerun = run_cli("demo", "--source", str(clip), "--out", str(out), "--no-progress")
    assert rerun.returncode == 0 and rerun.stdout.count("(cached)") == 3
    history = run_cli("history")
    assert history.stdout.count("done") >= 3


def test_sweep_writes_the_comparison_video_and_the_report(clip: Path, tmp_path: Path) -> None:
    video, report = tmp_path / "share" / "ab.mp4", tmp_path / "share" / "ab.html"
    proc = run_cli("sweep", str(clip), "a glass square", "--strengths", "adhere_1,reimagine_3",
                   "--video", str(video), "--report", str(report), "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == [str(video), str(report)]
    info = media.probe(video)
    assert info.width > 3 * info.height, "source and two results side by side"
    text = report.read_text()
    assert "adhere_1" in text and "reimagine_3" in text and text.count("data:video/mp4;base64,") == 3
    bad = run_cli("sweep", str(clip), "p", "--video", str(tmp_path / "ab.gif"), "--no-progress")
    assert bad.returncode == 2 and "--video" in bad.stderr and ".mp4" in bad.stderr
    assert run_cli("history").stdout.count("\n") == 2, "the bad call sent nothing"


def test_grid_names_rows_by_label(clip: Path, tmp_path: Path) -> None:
    png = tmp_path / "g.png"
    proc = run_cli("grid", f"first={clip}", f"second={clip}", "--out", str(png), "-n", "3")
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes().startswith(b"\x89PNG")
    bad = run_cli("grid", str(tmp_path / "missing.mp4"), "--out", str(png))
    assert bad.returncode == 2 and "missing.mp4" in bad.stderr and "Traceback" not in bad.stderr


def test_serve_prints_its_url_and_answers_the_spec_example(clip: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lumakit.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if match := re.search(r"(http://127\.0\.0\.1:\d+/v1)", line):
                url = match.group(1)
        assert url, "lumakit serve did not print its URL"
        headers = {"Authorization": "Bearer any-key"}
        data = "data:video/mp4;base64," + __import__("base64").b64encode(clip.read_bytes()).decode()
        upload = [{"taskType": "mediaStorage", "taskUUID": "1d7c9a52-3f0e-4b8a-9c1d-2e3f4a5b6c7d",
                   "operation": "upload", "media": data}]  # fmt: skip
        media = httpx.post(url, json=upload, headers=headers, timeout=30).json()["data"][0]
        task = {
            "taskType": "videoInference",
            "taskUUID": "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11",
            "model": "luma:ray@3.2",
            "positivePrompt": "A neon cyber creature with glowing circuitry, the ocean left natural",
            "inputs": {"video": media["mediaURL"]},
            "settings": {
                "edit": {"strength": "adhere_2", "controls": {"poseStrength": "precise", "face": True}}
            },
            "deliveryMethod": "async",
            "includeCost": True,
        }
        ack = httpx.post(url, content=json.dumps([task]), headers=headers, timeout=30)
        assert ack.status_code == 200 and ack.json()["data"][0]["taskUUID"] == task["taskUUID"]
        poll = [{"taskType": "getResponse", "taskUUID": task["taskUUID"]}]
        item: dict = {}
        while time.monotonic() < deadline + 60:
            item = httpx.post(url, json=poll, headers=headers, timeout=30).json()["data"][0]
            if item["status"] != "processing":
                break
            time.sleep(0.3)
        assert item["status"] == "success" and item["cost"] > 0
        video = httpx.get(item["videoURL"], timeout=30)
        assert video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"
        no_key = httpx.post(url, json=poll, timeout=30)
        assert no_key.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
