"""`lumakit cache`: what the folder holds, and pruning derived files (previews, local proxies) by last use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lumakit.cli as cli
from lumakit import media
from lumakit._files import LOCAL_PROXIES, PREVIEWS, cache_root
from lumakit.cache import Cache
from lumakit.cache_usage import prune, usage

DAY = 86_400.0


def _file(path: Path, days_old: float, size: int = 1000) -> Path:
    """A file of ``size`` bytes last written and read ``days_old`` days ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    when = time.time() - days_old * DAY
    os.utime(path, (when, when))
    return path.resolve()


def _held_open(path: Path) -> subprocess.Popen[str]:
    """Another process (a render, a transcode) reading ``path`` right now."""
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'rb'); print('open', flush=True); "
         "time.sleep(120)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    return reader


def test_prune_removes_unused_previews_and_proxies_oldest_first_and_keeps_what_is_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = cache_root()
    cache = Cache(root)
    previews, proxies = root / PREVIEWS, root / LOCAL_PROXIES
    oldest = _file(proxies / "oldest.mkv", 90, 4000)
    old_preview = _file(previews / "old.mp4", 60, 2000)
    old_proxy = _file(proxies / "old.mkv", 45, 3000)
    recent = _file(previews / "recent.mp4", 5)  # used within the last 30 days
    in_use = _file(proxies / "in-use.mkv", 100)  # a render reads it now
    pointed = _file(previews / "pointed.mp4", 100)  # the ledger points at it: never pruned
    part = _file(previews / ".writing.mp4.1-0123456789ab.part", 100)  # a write in progress
    cache.ledger.claim("t-1", kind="modify", key="k", backend="local", wire=None)
    assert cache.ledger.sending("t-1", {}) and cache.ledger.running("t-1")
    assert cache.ledger.done("t-1", str(pointed), {})
    reader = _held_open(in_use)
    try:
        seen = usage(cache)
        assert (seen.preview_files, seen.proxy_files) == (3, 3)  # the .part is no file yet
        assert seen.preview_bytes == 4000 and seen.proxy_bytes == 8000
        listed = prune(cache, 30, dry_run=True)
        assert listed.files == (oldest, old_preview, old_proxy), "oldest first; used, open, pointed kept"
        assert all(p.is_file() for p in listed.files) and listed.bytes == 9000
        assert cli.main(["cache"]) == 0
        out = capsys.readouterr().out
        assert "previews 3 files, 0.0 MB" in out and "proxies  3 files, 0.0 MB" in out
        assert cli.main(["cache", "--prune-older-than", "30"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[:3] == [str(oldest), str(old_preview), str(old_proxy)]
        assert "freed 0.0 MB (0 result files, 1 previews, 2 local proxies older than 30 days)" in out
    finally:
        reader.kill()
        reader.wait()
    assert not any(p.exists() for p in (oldest, old_preview, old_proxy))
    assert all(p.is_file() for p in (recent, in_use, pointed, part))
    assert [e.task_uuid for e in cache.ledger.history()] == ["t-1"], "the ledger keeps every task"
    # nothing reads the proxy any more and it is 100 days old: the next prune takes it
    assert prune(cache, 30).files == (in_use,)
    cache.close()


def test_a_pruned_preview_is_made_again_the_next_time_it_is_shown(clip: Path) -> None:
    first = media.preview(clip, 64)
    assert first.parent == cache_root() / PREVIEWS
    when = time.time() - 40 * DAY
    os.utime(first, (when, when))
    cache = Cache()
    try:
        pruned = prune(cache, 30)
        assert pruned.files == (first.resolve(),) and pruned.previews == 1 and not first.exists()
        again = media.preview(clip, 64)
        assert again == first and again.is_file() and media.probe(again).width == 64
        assert prune(cache, 30).files == (), "just made: used now"
    finally:
        cache.close()
