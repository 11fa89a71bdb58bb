"""The cache folder when it is broken or not ours to write: a damaged, truncated, unreadable or folder-shaped
ledger is a lumakit error naming the file and ``LUMAKIT_CACHE_DIR``; a read-only cache can still be read
(history, usage, cache hits) and refuses new work before anything is sent; dead downloads' ``.part`` files
are cleaned and never counted; a result deleted while a report is being made is skipped with a note."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pickle
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client
from test_report import runs  # noqa: F401 - the fixture

import lumakit.cli as cli
from lumakit import compare
from lumakit._files import temp_path
from lumakit.cache import Cache
from lumakit.cache_usage import prune, usage
from lumakit.errors import CacheError, RequestError


def cli_run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def filled_cache(root: Path, n: int = 200) -> None:
    cache = Cache(root)
    for i in range(n):
        uid = f"{i:08x}-0000-4000-8000-000000000000"
        wire = {"positivePrompt": "x" * 400}
        cache.ledger.claim(uid, kind="modify", key=f"k{i}", backend="runware", wire=wire)
    cache.close()


def broken_ledgers(tmp: Path) -> dict[str, Path]:
    roots = {name: tmp / name for name in ("garbage", "truncated", "folder")}
    roots["garbage"].mkdir()
    (roots["garbage"] / "ledger.sqlite3").write_bytes(b"this is not a database\n" * 200)
    filled_cache(roots["truncated"])
    ledger = roots["truncated"] / "ledger.sqlite3"
    ledger.write_bytes(ledger.read_bytes()[: ledger.stat().st_size // 3])  # cut mid-way (a full disk)
    (roots["folder"] / "ledger.sqlite3").mkdir(parents=True)
    return roots


@pytest.mark.parametrize("kind", ["garbage", "truncated", "folder"])
def test_a_broken_ledger_is_a_lumakit_error_naming_the_file(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = broken_ledgers(tmp_path)[kind]
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(root))
    with pytest.raises(CacheError) as info:
        Cache(root).ledger.history()
    text = str(info.value)
    assert info.value.path == str(root / "ledger.sqlite3") and str(root / "ledger.sqlite3") in text
    assert f"LUMAKIT_CACHE_DIR={root}" in text
    assert ("Move or rename that folder" if kind == "folder" else "Move it aside") in text
    for command in (["history"], ["cache"], ["history", "--json"]):
        code, out, err = cli_run(*command)
        assert code == 1 and out == "" and "Traceback" not in err, err
        assert err.startswith(f"lumakit {command[0]}: {root / 'ledger.sqlite3'}")
    if kind != "folder":
        assert (root / "ledger.sqlite3").stat().st_size > 0  # never replaced or emptied by lumakit


def test_the_client_refuses_a_broken_ledger_before_sending(tmp_path: Path) -> None:
    fake = FakeRunware(polls=1)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "ledger.sqlite3").write_bytes(b"garbage" * 500)
    with pytest.raises(CacheError, match="ledger is damaged"):
        make_client(fake, tmp_path)
    assert fake.http_requests == 0


# ---- a cache this process cannot write (a read-only mount, another user's folder)
def as_other_user(fn: Callable[[], Any]) -> Any:
    """``fn()`` as a user who cannot write files it does not own: this process if it is not root, else a
    forked child that became ``nobody`` (root ignores permissions). Everything ``fn`` needs is imported."""
    if os.geteuid() != 0:
        return fn()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            payload = ("ok", fn())
        except BaseException:  # report everything to the parent
            payload = ("raised", traceback.format_exc())
        with os.fdopen(write, "wb") as fh:
            pickle.dump(payload, fh)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        status, value = pickle.load(fh)
    os.waitpid(pid, 0)
    assert status == "ok", value
    return value


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="lumakit-ro-"))
    folder.chmod(0o755)
    yield folder
    subprocess.run(["chmod", "-R", "u+w", str(folder)], check=False)
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def read_only_tree(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def test_a_read_only_cache_shows_its_history_and_serves_cache_hits(
    shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRunware(polls=1)
    clip = make_clip(shared_tmp / "clip.mp4", seconds=0.5, fps=12, w=64, h=36)

    async def first_run() -> str:
        client = make_client(fake, shared_tmp)
        try:
            return str((await client.modify(str(clip), "a glass dolphin", strength="flex_1")).path)
        finally:
            await client.aclose()

    cached = asyncio.run(first_run())
    sent = fake.http_requests
    root = shared_tmp / "cache"
    read_only_tree(root)
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(root))

    def read_only_view() -> dict[str, Any]:
        cache = Cache(root)
        seen: dict[str, Any] = {"read_only": cache.read_only, "history": len(cache.ledger.history())}
        seen["usage"] = usage(cache).result_files
        seen["cli"] = [cli_run("history"), cli_run("cache")]

        async def again() -> tuple[str, bool]:
            client = make_client(fake, shared_tmp)
            try:
                r = await client.modify(str(clip), "a glass dolphin", strength="flex_1")
                hit = (str(r.path), r.cached)
                with pytest.raises(CacheError) as info:
                    await client.modify(str(clip), "a new prompt", strength="flex_1")
                seen["new_work"] = str(info.value)
                return hit
            finally:
                await client.aclose()

        seen["hit"] = asyncio.run(again())
        return seen

    seen = as_other_user(read_only_view)
    assert seen["read_only"] and seen["history"] == 1 and seen["usage"] == 1
    (h_code, h_out, h_err), (c_code, c_out, _) = seen["cli"]
    assert h_code == 0 and "done" in h_out and h_err == ""
    assert c_code == 0 and "results  1 files" in c_out and "ledger   1 tasks" in c_out
    assert seen["hit"] == (cached, True)
    assert "the cache is read-only" in seen["new_work"] and "LUMAKIT_CACHE_DIR" in seen["new_work"]
    assert fake.http_requests == sent  # the hit and the refusal sent nothing


def test_lumakit_history_reads_a_ledger_another_kernel_is_writing_without_waiting_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger at this lumakit's schema is opened without a write lock: ``lumakit history`` answers while
    another kernel holds a write transaction (it used to wait for it, then fail with "database is locked")."""
    import sqlite3
    import threading

    root = tmp_path / "cache"
    Cache(root).close()  # a ledger, up to date
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(root))
    writer = sqlite3.connect(root / "ledger.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another kernel, mid-write
    answered: list[tuple[int, str, str]] = []
    try:
        reader = threading.Thread(target=lambda: answered.append(cli_run("history")), daemon=True)
        reader.start()
        reader.join(timeout=15)  # the old open waited up to 30 s for the write lock
        assert answered and answered[0][0] == 0 and answered[0][2] == ""
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.join()


def test_a_ledger_of_an_earlier_lumakit_is_migrated_once_then_only_read(tmp_path: Path) -> None:
    import sqlite3

    root = tmp_path / "cache"
    Cache(root).close()
    with contextlib.closing(sqlite3.connect(root / "ledger.sqlite3", isolation_level=None)) as db:
        db.execute("PRAGMA user_version = 0")  # as every ledger written before the version stamp
    Cache(root).close()  # migrates it (a no-op here) and stamps it
    with contextlib.closing(sqlite3.connect(root / "ledger.sqlite3")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] != 0


def test_an_unreadable_ledger_names_itself(shared_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = shared_tmp / "cache"
    filled_cache(root, n=3)
    (root / "ledger.sqlite3").chmod(0o600)  # the owner's alone
    root.chmod(0o777)
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(root))

    def attempt() -> tuple[str, tuple[int, str, str]]:
        try:
            Cache(root)
        except CacheError as exc:
            return str(exc), cli_run("history")
        return "opened", (0, "", "")

    message, (code, _, err) = as_other_user(attempt)
    assert str(root / "ledger.sqlite3") in message and "cannot be opened" in message
    assert "LUMAKIT_CACHE_DIR" in message and "permissions" in message
    assert code == 1 and "Traceback" not in err and str(root / "ledger.sqlite3") in err


# ---- dead downloads' temp files
def _old_result_and_preview(root: Path) -> tuple[Path, Path]:
    """A cache at ``root`` with a finished task whose result, and a preview, were last used 40 days ago."""
    cache = Cache(root)
    result = cache.results.path("k" * 64, "runware", task_uuid="5a199186-0000-4000-8000-000000000000")
    preview = root / "previews" / "old.mp4"
    for path in (result, preview):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (time.time() - 40 * 86400,) * 2)
    cache.ledger.claim("t-1", kind="modify", key="k" * 64, backend="runware", wire=None)
    assert cache.ledger.sending("t-1", {}) and cache.ledger.running("t-1")
    assert cache.ledger.done("t-1", str(result), {})
    cache.close()
    return result.resolve(), preview.resolve()


def test_pruning_a_read_only_cache_is_a_cache_error_naming_the_folder(
    shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = shared_tmp / "cache"
    result, preview = _old_result_and_preview(root)
    read_only_tree(root)
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(root))

    def prune_as_another_user() -> dict[str, Any]:
        cache = Cache(root)
        seen: dict[str, Any] = {"listed": prune(cache, 30, dry_run=True).files}
        with pytest.raises(CacheError) as info:
            prune(cache, 30)
        seen["error"] = (info.value.path, str(info.value))
        seen["cli"] = cli_run("cache", "--prune-older-than", "30")
        return seen

    seen = as_other_user(prune_as_another_user)
    assert seen["listed"] == (result, preview), "a dry run still lists what would go"
    path, text = seen["error"]
    assert path == str(root) and "cannot delete files in this folder" in text
    assert "nothing was deleted" in text and "LUMAKIT_CACHE_DIR" in text
    code, out, err = seen["cli"]
    assert code == 1 and out == "" and str(root) in err and "cannot delete files" in err
    assert "Traceback" not in err and "PermissionError" not in err
    assert result.is_file() and preview.is_file()


def test_a_folder_prune_cannot_write_is_named_with_what_was_already_deleted(shared_tmp: Path) -> None:
    root = shared_tmp / "cache"
    root.mkdir()
    root.chmod(0o777)  # the other user makes the cache; only its previews folder is read-only

    def prune_as_its_owner() -> dict[str, Any]:
        result, preview = _old_result_and_preview(root)
        preview.parent.chmod(0o555)
        cache = Cache(root)
        with pytest.raises(CacheError) as info:
            prune(cache, 30)
        history = [e.task_uuid for e in cache.ledger.history()]
        cache.close()
        return {"error": (info.value.path, str(info.value)), "left": (result.exists(), preview.exists()),
                "history": history}  # fmt: skip

    seen = as_other_user(prune_as_its_owner)
    path, text = seen["error"]
    assert path == str(root / "previews") and "1 file(s) were deleted before this folder" in text
    assert seen["left"] == (False, True) and seen["history"] == ["t-1"], "the ledger keeps every task"


def test_dead_part_files_are_cleaned_at_open_and_never_counted(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    Cache(root).close()
    folder = root / "results" / "runware" / "ab"
    folder.mkdir(parents=True)
    done = subprocess.run(["true"], check=True)  # noqa: F841
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = folder / f".abcd-1234.mp4.{gone.pid}-0123456789ab.part"  # a download killed mid-way
    dead.write_bytes(b"x" * 1000)
    old = time.time() - 120
    os.utime(dead, (old, old))
    live = temp_path(folder / "efgh-5678.mp4")  # this process's download in progress
    live.write_bytes(b"y" * 1000)
    os.utime(live, (old, old))
    abandoned = folder / ".ijkl-9999.mp4.1-0123456789ab.part"  # pid 1 lives, but nothing written for days
    abandoned.write_bytes(b"z")
    os.utime(abandoned, (time.time() - 3 * 86400,) * 2)
    (folder / "abcd-1234.mp4").write_bytes(b"a result")
    cache = Cache(root)
    try:
        assert not dead.exists() and not abandoned.exists() and live.exists()
        u = usage(cache)
        assert u.result_files == 1 and u.result_bytes == len(b"a result")  # the live .part is not a result
    finally:
        cache.close()


# ---- a result deleted while its report is made
def test_a_result_deleted_during_the_report_is_skipped_with_the_note(
    runs: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, results = runs
    victim = results["flex_2"].path
    real = compare.frame_grid

    def grid_after_a_deletion(*args: Any, **kw: Any) -> Any:
        Path(victim).unlink(missing_ok=True)  # another cell prunes the cache right now
        return real(*args, **kw)

    monkeypatch.setattr(compare, "frame_grid", grid_after_a_deletion)
    text = results.save_report(tmp_path / "report.html").read_text()
    assert '<p class="missing">file missing from the cache: flex_2</p>' in text
    assert text.count('<p class="missing">') == 1


def test_a_report_error_that_is_not_a_vanished_file_still_raises(runs: Any, tmp_path: Path) -> None:  # noqa: F811
    _, results = runs
    with pytest.raises(RequestError, match="title"):
        results.save_report(tmp_path / "r.html", title=3)  # type: ignore[arg-type]


def test_the_local_backend_data_folder_that_cannot_be_made_names_itself(tmp_path: Path) -> None:
    from lumakit.local import LocalServer

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(CacheError, match="data folder cannot be created") as info:
        LocalServer(blocker / "local-backend")
    assert str(blocker) in str(info.value) and "LUMAKIT_CACHE_DIR" in str(info.value)
    with pytest.raises(CacheError, match="cache folder cannot be created") as again:
        Cache(blocker / "cache")
    assert str(blocker / "cache") in str(again.value)
