"""Results that travel: Result.save under a readable name, to_records / to_pandas of results and history."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _clips import make_clip

from lumakit.cache import Cache
from lumakit.errors import MediaError
from lumakit.request import Controls, ModifyRequest
from lumakit.results import Result, ResultSet

UUIDS = ["1a2b3c4d-0000-4000-8000-000000000001", "5e6f7a8b-0000-4000-8000-000000000002"]


@pytest.fixture
def runs(tmp_path: Path) -> ResultSet:
    src = make_clip(tmp_path / "src.mp4", seconds=0.5, seed=0)
    out = {}
    for i, (level, backend) in enumerate((("flex_2", "runware"), ("reimagine_3", "local"))):
        controls = Controls(pose_strength="precise") if i else None
        req = ModifyRequest(str(src), "a glass dolphin", strength=level, controls=controls)
        out[level] = Result(
            make_clip(tmp_path / "cache" / f"{i:02x}deadbeef.mp4", seconds=0.5, seed=i + 1), "https://cdn/x.mp4",
            f"vvvvvvvv-0000-4000-8000-00000000000{i}", UUIDS[i], 0.54, 12.5, req, backend, False,
            {"label": level, "wire": req.to_task(delivery=False)},
        )  # fmt: skip
    return ResultSet(out)


def test_result_save_copies_under_a_readable_name(runs, tmp_path):
    ray, local = runs["flex_2"], runs["reimagine_3"]
    saved = ray.save(tmp_path / "share")
    assert saved == tmp_path / "share" / "flex_2-1a2b3c4d.mp4"
    assert saved.read_bytes() == Path(ray.path).read_bytes() and Path(ray.path).exists()
    named = local.save(tmp_path / "share")
    assert named.name == "reimagine_3+poseStrength=precise-local-preview-5e6f7a8b.mp4"
    exact = ray.save(tmp_path / "exact.mp4")
    assert exact == tmp_path / "exact.mp4" and exact.stat().st_size == Path(ray.path).stat().st_size
    assert sorted(p.name for p in (tmp_path / "share").iterdir()) == sorted([saved.name, named.name])
    both = runs.save(tmp_path / "all")
    assert [p.name for p in both] == [saved.name, named.name]


def test_result_save_of_a_missing_file_says_so(runs, tmp_path):
    r = runs["flex_2"]
    Path(r.path).unlink()
    with pytest.raises(MediaError, match="gone from the cache"):
        r.save(tmp_path)


def test_resultset_to_records_are_plain_dicts(runs):
    records = runs.to_records()
    assert [r["label"] for r in records] == ["flex_2", "reimagine_3"]
    first, second = records
    assert first["strength"] == "flex_2" and first["controls"] == {} and first["prompt"] == "a glass dolphin"
    assert first["backend"] == "runware" and not first["local_preview"] and not first["cost_is_estimate"]
    assert second["controls"] == {"poseStrength": "precise"} and second["local_preview"]
    assert second["cost_is_estimate"] and second["task_uuid"] == UUIDS[1] and second["cost"] == 0.54
    assert first["model"] and first["kind"] == "modify" and first["path"].endswith(".mp4")
    assert json.loads(json.dumps(records)) == records


def test_to_pandas(runs, monkeypatch):
    pd = pytest.importorskip("pandas")
    df = runs.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df["label"]) == ["flex_2", "reimagine_3"]
    assert list(df["cost"]) == [0.54, 0.54]
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        runs.to_pandas()


def test_history_to_records(tmp_path):
    cache = Cache(tmp_path / "c")
    wire = {"taskType": "videoInference", "model": "luma:ray@3.2", "positivePrompt": "glass",
            "settings": {"edit": {"strength": "adhere_1"}}}  # fmt: skip
    cache.ledger.claim("t-1", kind="modify", key="k", backend="local", wire=wire, label="adhere_1")
    assert cache.ledger.sending("t-1", wire) and cache.ledger.running("t-1")
    assert cache.ledger.move("t-1", "done", cost=0.25, submitted=100.0, finished=110.0)
    cache.ledger.claim("t-2", kind="modify", key="k2", backend="runware", wire=None)
    records = cache.ledger.history().to_records()
    assert [r["task_uuid"] for r in records] == ["t-2", "t-1"]
    done = records[1]
    assert done["strength"] == "adhere_1" and done["state"] == "done" and done["cost"] == 0.25
    assert done["seconds"] == 10.0 and done["local_preview"] and done["finished"].endswith("+00:00")
    assert records[0]["strength"] is None and records[0]["state"] == "preparing"
    assert json.loads(json.dumps(records)) == records
    pytest.importorskip("pandas")
    assert list(cache.ledger.history().to_pandas()["task_uuid"]) == ["t-2", "t-1"]
    cache.close()
