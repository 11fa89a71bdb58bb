"""Packs: results paid once, shared with anyone. A pack holds finished results and their ledger rows (never a
key); unpacking it (or pointing LUMAKIT_SHARED_CACHE at it) makes the same requests free cache hits that say
where they came from; a request outside the pack is sent as usual; a corrupt or foreign pack is refused and
changes nothing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from _clips import make_clip
from _fake_runware import KEY, SRC, FakeRunware, make_client
from _offline_urls import made_up_urls_are_not_read  # noqa: F401 (an autouse fixture)

from lumakit.cache import Cache
from lumakit.cli import main
from lumakit.errors import PackError, RequestError
from lumakit.packs import make_pack, open_pack, unpack
from lumakit.packs.shared import shared_lookup

PROMPT = "a glass dolphin"
LEVELS = ["adhere_1", "flex_2", "reimagine_3"]


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def teacher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str], Path]:
    """A cache where a teacher paid for a sweep (notebook 02) and one edit of a local clip (notebook 00)."""
    monkeypatch.setenv("RUNWARE_API_KEY", KEY)  # the key is in the environment while the pack is made
    clip = make_clip(tmp_path / "clip.mp4", seconds=0.5, fps=8, w=64, h=36)
    fake = FakeRunware(polls=1, cost=0.54)

    async def go():
        async with make_client(fake, tmp_path / "teacher", budget_scope="02_strength_dial") as client:
            runs = await client.sweep(SRC, PROMPT, strengths=LEVELS)
        monkeypatch.setenv("JPY_SESSION_NAME", "/home/teacher/notebooks/00_quickstart.ipynb")
        async with make_client(fake, tmp_path / "teacher") as client:  # its scope: the notebook's name
            one = await client.modify(str(clip), PROMPT, strength="flex_1")
        monkeypatch.delenv("JPY_SESSION_NAME")
        return {**{k: r.task_uuid for k, r in runs.items()}, "clip": one.task_uuid}

    uuids = run(go())
    return tmp_path / "teacher" / "cache", uuids, clip


def _snapshot(root: Path) -> tuple[list[str], list[tuple]]:
    files = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "owners" not in p.parts
    )
    db = sqlite3.connect(root / "ledger.sqlite3")
    try:
        rows = db.execute("SELECT * FROM tasks ORDER BY task_uuid").fetchall()
    finally:
        db.close()
    return files, rows


def test_a_pack_makes_the_same_requests_free_hits_that_say_who_paid(teacher, tmp_path, monkeypatch):
    cache_dir, uuids, clip = teacher
    report = make_pack(Cache(cache_dir), tmp_path / "class.zip")
    assert report.results == 4 and report.cost == pytest.approx(4 * 0.54)
    monkeypatch.delenv("RUNWARE_API_KEY")

    learner = tmp_path / "learner"
    added = unpack(tmp_path / "class.zip", Cache(learner / "cache"))
    assert added.added == 4 and added.known == 0
    assert unpack(tmp_path / "class.zip", Cache(learner / "cache")).added == 0  # twice: nothing new
    fake = FakeRunware(polls=1, cost=0.54)

    async def go():
        async with make_client(fake, learner, budget=1.5) as client:  # less than the pack cost its maker
            runs = await client.sweep(SRC, PROMPT, strengths=LEVELS)
            one = await client.modify(str(clip), PROMPT, strength="flex_1")
            hits_sent = fake.http_requests
            spent = client.spent()
            # not in the pack: sent, paid (at 360p the guard's price, $1.08, fits the budget)
            outside = await client.modify(SRC, PROMPT, strength="flex_3", resolution="360p")
            return runs, one, hits_sent, spent, outside, client.spent()

    runs, one, hits_sent, spent, outside, after = run(go())
    assert hits_sent == 0 and spent == 0.0  # paid by the teacher: free, and never counted
    assert {k: r.task_uuid for k, r in runs.items()} | {"clip": one.task_uuid} == uuids
    for r in [*runs.values(), one]:
        assert r.cached and r.from_pack is not None and r.backend == "runware" and r.path.is_file()
        assert r.from_pack["cost"] == 0.54 and r.from_pack["backend"] == "runware" and r.from_pack["finished"]
        assert "from pack (paid by its maker)" in repr(r) and "from pack" in r._repr_html_()
    assert len(fake.posts("videoInference")) == 1 and outside.from_pack is None and not outside.cached
    assert after == pytest.approx(0.54)


def test_a_local_client_without_a_key_gets_the_ray_results_of_the_pack(teacher, tmp_path):
    cache_dir, _uuids, _clip = teacher
    make_pack(Cache(cache_dir), tmp_path / "class.zip", notebooks=["02_strength_dial"])
    unpack(tmp_path / "class.zip", Cache(tmp_path / "learner" / "cache"))
    fake = FakeRunware(polls=1, local=True)  # plays the local backend: any request sent would show here

    async def go():
        async with make_client(fake, tmp_path / "learner", key=None, backend="local") as client:
            quoted = client.quote(client.plan_sweep(SRC, PROMPT, strengths=LEVELS))
            runs = await client.sweep(SRC, PROMPT, strengths=LEVELS)
            return quoted, runs

    quoted, runs = run(go())
    assert fake.requests == []
    assert quoted.cached == 3 and quoted.text().startswith("cached: $0")
    assert all(r.backend == "runware" and not r.is_local and r.from_pack for r in runs.values())


def test_pack_selection_by_notebook_date_and_task(teacher, tmp_path):
    cache_dir, uuids, _clip = teacher
    cache = Cache(cache_dir)
    assert make_pack(cache, tmp_path / "a.zip", notebooks=["00_quickstart.ipynb"]).results == 1
    assert make_pack(cache, tmp_path / "b.zip", notebooks=["00_quickstart", "02_strength_dial"]).results == 4
    assert make_pack(cache, tmp_path / "c.zip", tasks=[uuids["flex_2"].upper()]).results == 1
    assert make_pack(cache, tmp_path / "d.zip", since="2000-01-01").results == 4
    with pytest.raises(RequestError, match="no finished result"):
        make_pack(cache, tmp_path / "e.zip", since="2999-01-01")
    with pytest.raises(RequestError, match="since"):
        make_pack(cache, tmp_path / "e.zip", since="last tuesday")
    with pytest.raises(RequestError, match="tasks"):
        make_pack(cache, tmp_path / "e.zip", tasks=["00000000-0000-4000-8000-000000000000"])
    with pytest.raises(RequestError, match=r"\.zip"):
        make_pack(cache, tmp_path / "e.tar")
    assert not (tmp_path / "e.zip").exists()


def test_a_pack_never_holds_the_key(teacher, tmp_path):
    cache_dir, _uuids, _clip = teacher
    make_pack(Cache(cache_dir), tmp_path / "class.zip")
    raw = (tmp_path / "class.zip").read_bytes()
    assert KEY.encode() not in raw
    with zipfile.ZipFile(tmp_path / "class.zip") as archive:
        for name in archive.namelist():  # every member, decompressed
            assert KEY.encode() not in archive.read(name), name
        data = json.loads(archive.read("manifest.json"))
    assert data["format"] == "lumakit-pack" and len(data["results"]) == 4
    for item in data["results"]:
        assert "extra" not in item and "video_url" not in item  # no local paths, no result URLs
        assert item["cost"] == 0.54 and item["video_uuid"] and item["wire"]["taskUUID"] == item["task_uuid"]
    assert str(tmp_path) not in raw.decode("latin-1")  # the maker's folders stay at home


def _rewrite(src: Path, dest: Path, change) -> None:
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest, "w") as b:
        for name in a.namelist():
            b.writestr(name, change(name, a.read(name)))


def test_a_corrupt_or_foreign_pack_is_refused_and_changes_nothing(teacher, tmp_path):
    cache_dir, _uuids, _clip = teacher
    good = tmp_path / "class.zip"
    make_pack(Cache(cache_dir), good)
    learner = Cache(tmp_path / "learner")
    unpack(good, learner)  # a learner who already has some results
    before = _snapshot(learner.root)

    def flip_video(name: str, data: bytes) -> bytes:
        return data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:] if name.endswith(".mp4") else data

    def foreign(name: str, data: bytes) -> bytes:
        return data.replace(b'"lumakit-pack"', b'"other-pack"') if name == "manifest.json" else data

    def newer(name: str, data: bytes) -> bytes:
        return data.replace(b'"version": 1', b'"version": 9') if name == "manifest.json" else data

    def escape(name: str, data: bytes) -> bytes:
        return data.replace(b'"file": "results/', b'"file": "../../') if name == "manifest.json" else data

    cases = {}
    changes = {"flipped": flip_video, "foreign": foreign, "newer": newer, "escape": escape}
    for label, change in changes.items():
        _rewrite(good, tmp_path / f"{label}.zip", change)
        cases[label] = tmp_path / f"{label}.zip"
    cases["truncated"] = tmp_path / "truncated.zip"
    cases["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases["not a zip"] = tmp_path / "notes.zip"
    cases["not a zip"].write_text("hello")
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as plain:
        plain.writestr("clip.mp4", b"...")
    cases["no manifest"] = tmp_path / "plain.zip"
    messages = {}
    for label, path in cases.items():
        fresh = Cache(tmp_path / f"fresh-{label}")
        fresh_before = _snapshot(fresh.root)
        for cache in (learner, fresh):
            with pytest.raises(PackError) as info:
                unpack(path, cache)
            messages[label] = str(info.value)
        assert _snapshot(fresh.root) == fresh_before, label
    assert _snapshot(learner.root) == before
    assert "digest differs" in messages["flipped"] and "not a lumakit pack" in messages["foreign"]
    assert "version 9" in messages["newer"] and "results/<task_uuid>" in messages["escape"]
    assert "not a zip" in messages["not a zip"] and "no manifest.json" in messages["no manifest"]
    assert all("nothing was changed in the cache" in m for m in messages.values())


def test_a_shared_pack_is_read_in_place_and_never_written(teacher, tmp_path, monkeypatch):
    cache_dir, uuids, _clip = teacher
    make_pack(Cache(cache_dir), tmp_path / "class.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(tmp_path / "class.zip") as archive:
        archive.extractall(folder)
    for shared in (tmp_path / "class.zip", folder):
        pack_bytes = {p: p.read_bytes() for p in [shared, *shared.rglob("*")] if p.is_file()}
        monkeypatch.setenv("LUMAKIT_SHARED_CACHE", str(shared))
        fake = FakeRunware(polls=1)
        learner = tmp_path / f"learner-{shared.name}"

        async def go(fake=fake, learner=learner):
            async with make_client(fake, learner, budget=0.5) as client:
                runs = await client.sweep(SRC, PROMPT, strengths=LEVELS)
                return runs, client.history(), client.spent()

        runs, history, spent = run(go())
        assert fake.requests == [] and spent == 0.0 and len(history) == 0
        assert {k: r.task_uuid for k, r in runs.items()} == {k: uuids[k] for k in LEVELS}
        assert all(r.from_pack and r.path.is_file() for r in runs.values())
        assert {p: p.read_bytes() for p in pack_bytes} == pack_bytes  # read-only

    monkeypatch.setenv("LUMAKIT_SHARED_CACHE", str(tmp_path / "missing.zip"))
    with pytest.raises(PackError, match="LUMAKIT_SHARED_CACHE"):
        shared_lookup(Cache(tmp_path / "x"), "k" * 64, "runware")


def test_the_cli_packs_unpacks_and_history_prints_the_total(teacher, tmp_path, monkeypatch, capsys):
    cache_dir, _uuids, _clip = teacher
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("LUMAKIT_BUDGET", "5")
    monkeypatch.setenv("LUMAKIT_BUDGET_CAP", "3")
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "spent on Runware: $2.16" in out and "budget $5.00, left $2.84" in out
    assert "LUMAKIT_BUDGET_CAP $3.00 over the whole cache, left $0.84" in out
    monkeypatch.delenv("LUMAKIT_BUDGET_CAP")
    assert main(["pack", str(tmp_path / "class.zip"), "--notebooks", "02_strength_dial"]) == 0
    assert "3 results ($1.62 billed to make them)" in capsys.readouterr().out
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path / "learner"))
    assert main(["unpack", str(tmp_path / "class.zip")]) == 0
    assert "3 results added" in capsys.readouterr().out
    assert main(["history"]) == 0
    assert "spent on Runware: $0.00" in capsys.readouterr().out  # the pack's results were paid by its maker
    (tmp_path / "bad.zip").write_text("not a pack")
    assert main(["unpack", str(tmp_path / "bad.zip")]) == 1
    assert "not a zip file" in capsys.readouterr().err
    assert open_pack(tmp_path / "class.zip").made is not None


def test_the_ledger_says_which_results_came_from_a_pack(teacher, tmp_path):
    cache_dir, _uuids, _clip = teacher
    make_pack(Cache(cache_dir), tmp_path / "class.zip", notebooks=["00_quickstart"])
    learner = Cache(tmp_path / "learner")
    unpack(tmp_path / "class.zip", learner)
    (entry,) = learner.ledger.history()
    assert entry.from_pack and "from pack (paid by its maker)" in repr(entry)
    assert "$0.54 (pack)" in repr(learner.ledger.history()) and learner.spending.total("runware") == 0.0
