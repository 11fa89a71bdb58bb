"""The `lumakit` command as a user runs it: help, exit code 2 for bad input, demo, grid, history, serve,
resume, estimate, cache, --json, --output-dir, --take, --version."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import lumakit
from lumakit import cli, media
from lumakit.cache import Cache
from lumakit.lifecycle import TaskState

COMMANDS = ("demo", "modify", "sweep", "estimate", "resume", "grid", "serve", "history", "cache", "pack",
            "unpack")  # fmt: skip


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
    assert proc.stdout.count("(local preview: free, about $") == 3  # what Runware would bill, said as such
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
    assert run_cli("history").stdout.count("LedgerEntry(") == 2, "the bad call sent nothing"


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


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command in this process: ``(exit code, stdout, stderr)``."""
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse: usage errors, --help, --version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_lumakits_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--version")
    assert code == 0 and out.strip() == f"lumakit {lumakit.__version__}"


def test_modify_json_take_and_output_dir(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("modify", str(clip), "a glass square", "--strength", "flex_2", "--json")
    code, out, err = call(capsys, *args, "--take", "1", "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    record = json.loads(out)  # one JSON document and nothing else on stdout (progress is on stderr)
    assert record["strength"] == "flex_2" and record["local_preview"] and not record["cached"]
    saved = Path(record["saved"])
    assert saved.parent == tmp_path / "out" and "flex_2" in saved.name and "local-preview" in saved.name
    assert saved.read_bytes() == Path(record["path"]).read_bytes()
    # take 1 is its own sample: take 0 runs a new task; take 1 again is the cached one
    code, out, _ = call(capsys, *args, "--no-progress")
    first = json.loads(out)
    assert code == 0 and first["task_uuid"] != record["task_uuid"] and not first["cached"]
    code, out, _ = call(capsys, *args, "--take", "1", "--no-progress")
    again = json.loads(out)
    assert code == 0 and again["cached"] and again["task_uuid"] == record["task_uuid"]
    code, out, err = call(capsys, *args, "--take", "-1")
    assert code == 2 and "take=-1" in err and out == ""


def test_sweep_json_lists_every_run_and_copies_them(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call(
        capsys,
        "sweep",
        str(clip),
        "p",
        "--strengths",
        "adhere_1,reimagine_3",
        "--json",
        "--output-dir",
        str(tmp_path / "runs"),
        "--report",
        str(tmp_path / "r.html"),
    )
    assert code == 0, err
    records = json.loads(out)
    assert [r["label"] for r in records] == ["adhere_1", "reimagine_3"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == sorted(
        Path(r["saved"]).name for r in records
    )
    assert str(tmp_path / "r.html") in err and (tmp_path / "r.html").is_file()  # stdout stays pure JSON
    code, out, _ = call(capsys, "sweep", str(clip), "p", "--strengths", "adhere_1", "--no-progress",
                        "--output-dir", str(tmp_path / "plain"))  # fmt: skip
    label, path = out.strip().split("\t")
    assert code == 0 and label == "adhere_1" and Path(path).parent == tmp_path / "plain"


def test_estimate_prices_without_running_and_matches_the_bill(
    clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    levels = ("--strengths", "adhere_1,flex_3")
    code, out, err = call(capsys, "estimate", str(clip), "a glass square", *levels, "--json")
    assert code == 0, err
    est = json.loads(out)
    assert [ln["label"] for ln in est["lines"]] == ["adhere_1", "flex_3"] and est["total"] > 0
    assert Cache().ledger.history() == [], "an estimate runs nothing"
    code, out, _ = call(capsys, "sweep", str(clip), "a glass square", *levels, "--json", "--no-progress")
    assert sum(r["cost"] for r in json.loads(out)) == pytest.approx(est["total"])
    code, out, _ = call(capsys, "estimate", str(clip), "a glass square", *levels)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("adhere_1\t$0.00") and "[cached]" in lines[0]
    assert lines[2].startswith("total\t$0.00")
    code, out, _ = call(capsys, "estimate", str(clip), "a glass square", "--strength", "reimagine_1")
    assert code == 0 and out.startswith("reimagine_1\t$") and "[cached]" not in out
    code, _, err = call(capsys, "estimate", str(clip), "p", "--strength", "flex_1", *levels)
    assert code == 2 and "--strengths" in err


def _submit(clip: Path, *levels: str) -> list[str]:
    """Send tasks without waiting for them (as a call cut short would leave them): their UUIDs."""
    from lumakit.request import build

    with lumakit.Client(progress=False) as client:
        return [
            client.submit(build("modify", video=str(clip), prompt="neon", strength=s), label=s).task_uuid
            for s in levels
        ]


def test_resume_one_task_and_all(clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (one,) = _submit(clip, "adhere_2")
    assert Cache().ledger.get(one).in_flight  # type: ignore[union-attr]
    code, out, err = call(capsys, "resume", one, "--json", "--no-progress")
    assert code == 0, err
    record = json.loads(out)
    assert record["task_uuid"] == one and Path(record["path"]).is_file()
    assert Cache().ledger.get(one).state is TaskState.DONE  # type: ignore[union-attr]
    uuids = _submit(clip, "flex_1", "reimagine_2")
    code, out, err = call(capsys, "resume", "--all", "--no-progress")
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [label for label, _ in rows] == ["flex_1", "reimagine_2"]
    assert all(Path(path).is_file() for _, path in rows)
    assert all(Cache().ledger.get(u).state is TaskState.DONE for u in uuids)  # type: ignore[union-attr]
    assert call(capsys, "resume", "--all")[1] == "nothing to resume\n"
    code, out, err = call(capsys, "resume", "not-a-uuid")
    assert code == 2 and "task_uuid='not-a-uuid'" in err and out == ""
    assert call(capsys, "resume")[0] == 2  # neither a UUID nor --all
    code, _, err = call(capsys, "resume", "--all", "--timeout", "0")
    assert code == 2 and "--timeout" in err


def _in_flight(task_uuid: str, *, backend: str = "local", label: str | None = None,
               wire: dict[str, Any] | None = None, **fields: Any) -> None:  # fmt: skip
    """A ledger row for a task the service is running, as a call cut short leaves it."""
    cache = Cache()
    key = f"key-{task_uuid}"
    cache.ledger.claim(task_uuid, kind="modify", key=key, backend=backend, wire=wire, label=label)
    cache.ledger.sending(task_uuid, wire or {})
    cache.ledger.running(task_uuid, **fields)
    cache.close()


def test_resume_refuses_a_task_of_another_backend(capsys: pytest.CaptureFixture[str]) -> None:
    """A Runware task resumed without a key would be asked of the local backend, which never heard of it."""
    uuid = "5b7e2c1a-0d3f-4e6a-8b9c-1f2e3d4c5b6a"
    _in_flight(uuid, backend="runware")
    code, out, err = call(capsys, "resume", uuid)
    assert code == 2 and "runware backend" in err and out == ""
    assert Cache().ledger.get(uuid).state is TaskState.PROCESSING  # type: ignore[union-attr]
    code, out, err = call(capsys, "resume", "--all", "--json")
    assert code == 0 and json.loads(out) == [] and "no unfinished task of the local backend" in err
    assert Cache().ledger.get(uuid).state is TaskState.PROCESSING  # type: ignore[union-attr]


def test_history_and_cache_read_the_ledger_without_starting_the_local_server(tmp_path: Path) -> None:
    _in_flight(
        "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11", label="flex_2", wire={"positivePrompt": "a glass dolphin"}
    )
    script = (
        "import contextlib, io, json, sys, threading\n"
        "from lumakit import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    codes = [cli.main(['history', '--json']), cli.main(['cache'])]\n"
        "print(json.dumps({'codes': codes, 'out': out.getvalue(), 'threads': threading.active_count(),\n"
        "                  'server': 'lumakit.local.server' in sys.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["codes"] == [0, 0]
    assert not seen["server"] and seen["threads"] == 1, "no local server module, no server thread"
    assert "local backend" not in proc.stderr
    history, _, usage = seen["out"].partition("]\n")
    (record,) = json.loads(history + "]")
    assert (
        record["label"] == "flex_2"
        and record["state"] == "processing"
        and record["prompt"] == "a glass dolphin"
    )
    assert "1 tasks, 1 in flight" in usage


def test_cache_prunes_only_old_results_of_done_tasks(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = call(
        capsys, "sweep", str(clip), "p", "--strengths", "adhere_3,flex_1", "--json", "--no-progress"
    )
    done_old, done_fresh = json.loads(out)
    old, fresh = Path(done_old["path"]), Path(done_fresh["path"])
    running = Cache().root / "results" / "local" / "zz" / "running.mp4"  # a task in flight that has its file
    running.parent.mkdir(parents=True)
    running.write_bytes(b"not yet done")
    _in_flight("1d7c9a52-3f0e-4b8a-9c1d-2e3f4a5b6c7d", result_path=str(running))
    month_ago = time.time() - 40 * 86_400
    for path in (old, running):
        os.utime(path, (month_ago, month_ago))
    code, out, _ = call(capsys, "cache")
    assert code == 0 and "results  3 files" in out and "3 tasks, 1 in flight" in out
    code, out, _ = call(capsys, "cache", "--prune-older-than", "30", "--dry-run")
    assert (
        code == 0
        and out.splitlines()[0] == str(old.resolve())
        and out.splitlines()[1].startswith("would free")
    )
    assert old.is_file()
    size = old.stat().st_size
    code, out, _ = call(capsys, "cache", "--prune-older-than", "30")
    assert code == 0 and f"freed {size / 1e6:.1f} MB (1 result files" in out
    assert not old.exists() and fresh.is_file() and running.is_file()
    assert len(Cache().ledger.history()) == 3, "the ledger keeps every task"
    # a re-run fetches the pruned result again while the service still serves its URL: no new task
    code, out, _ = call(capsys, "modify", str(clip), "p", "--strength", "adhere_3", "--json", "--no-progress")
    again = json.loads(out)
    assert code == 0 and again["task_uuid"] == done_old["task_uuid"] and Path(again["path"]).is_file()
    assert len(Cache().ledger.history()) == 3
    code, _, err = call(capsys, "cache", "--prune-older-than", "-1")
    assert code == 2 and "--prune-older-than" in err
    assert call(capsys, "cache", "--dry-run")[0] == 2


def test_a_sweep_with_a_failed_job_prints_the_others_and_exits_1(
    clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lumakit.local import shared_server

    shared_server().faults.add(("submit", "task_error", {"code": "providerError"}))
    args = (
        "sweep",
        str(clip),
        "a failing square",
        "--strengths",
        "adhere_1,flex_1",
        "--json",
        "--no-progress",
    )
    code, out, err = call(capsys, *args)
    assert code == 1 and "1 of 2 jobs failed" in err and "providerError" in err
    (record,) = json.loads(out)  # the job that finished is printed (and cached)
    assert Path(record["path"]).is_file()
