"""A class on one pack: a teacher runs notebooks 00 and 02 on Runware (the stand-in, paid), packs their
results by notebook, and a learner with a fresh cache and no key unpacks it (or reads it in place with
LUMAKIT_SHARED_CACHE) and runs the same notebooks: every call is a cache hit from the pack, 0 jobs sent."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest
from _fake_runware_http import RunwareStandIn
from test_notebooks import FAKE_KEY, NOTEBOOKS, _kernel_env, _read, notebook_client

from lumakit.cache import Cache
from lumakit.packs import make_pack, unpack

pytestmark = pytest.mark.slow

CLASS = ("00_quickstart", "02_strength_dial")


def _run(name: str, work: Path, env: dict[str, str]) -> None:
    nb = _read(name)
    client = notebook_client(nb, work)
    # Jupyter tells each kernel its notebook; the ledger records it as the task's scope (--notebooks)
    client.execute(env={**env, "JPY_SESSION_NAME": str(NOTEBOOKS / f"{name}.ipynb")})


def _tasks(cache: Path) -> tuple[int, int]:
    """``(tasks this cache sent, results it has from packs)``."""
    db = sqlite3.connect(cache / "ledger.sqlite3")
    try:
        sent = db.execute("SELECT COUNT(*) FROM tasks WHERE pack IS NULL").fetchone()[0]
        packed = db.execute("SELECT COUNT(*) FROM tasks WHERE pack IS NOT NULL").fetchone()[0]
    finally:
        db.close()
    return sent, packed


def test_a_pack_of_two_notebooks_lets_a_class_run_them_with_no_key_and_no_job(tmp_path: Path) -> None:
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    paid = 0
    for name in CLASS:
        with RunwareStandIn() as service:
            _run(name, tmp_path / f"kernel-{name}", _kernel_env(teacher, service.url))
            paid += service.paid_jobs
    print(f"teacher: {paid} paid jobs for {CLASS}")
    assert paid >= 5, paid  # notebook 00 runs at least one edit, 02 a sweep
    report = make_pack(Cache(teacher), tmp_path / "class.zip", notebooks=list(CLASS))
    assert report.results == paid
    with zipfile.ZipFile(tmp_path / "class.zip") as archive:  # the key is nowhere, compressed or not
        assert not any(FAKE_KEY.encode() in archive.read(n) for n in archive.namelist())
    assert FAKE_KEY.encode() not in (tmp_path / "class.zip").read_bytes()

    learner = tmp_path / "learner"
    learner.mkdir()
    assert unpack(tmp_path / "class.zip", Cache(learner)).added == paid
    for name in CLASS:  # no key: the local backend is there, but nothing reaches it
        _run(name, tmp_path / f"learner-{name}", _kernel_env(learner, None))
    assert _tasks(learner) == (0, paid)

    shared = tmp_path / "shared-learner"
    shared.mkdir()
    env = {**_kernel_env(shared, None), "LUMAKIT_SHARED_CACHE": str(tmp_path / "class.zip")}
    _run(CLASS[1], tmp_path / "shared-kernel", env)
    assert _tasks(shared) == (0, 0)  # read in place: nothing sent, nothing added to the ledger
