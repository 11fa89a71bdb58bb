"""Shared test setup: every test runs with its own cache folder and without a real API key.

Test helpers are plain modules in this folder, imported by their own names (``from _clips import
make_clip``, ``from _fake_runware import FakeRunware``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _clips import ClipSet, make_clip

# Headless plotting everywhere, before any test imports matplotlib.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach Runware, spend money or write to the user's real cache."""
    for name in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL", "LUMAKIT_BACKEND", "LUMAKIT_MAX_COST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path_factory.mktemp("lumakit-cache")))


@pytest.fixture(scope="module")
def clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic ``clip.mp4``: 160x90, 1 s at 12 fps, a bright square moving left to right.

    One file per test module (tests only read it). A module that needs another shape says so with a
    module-level ``CLIP = {"seconds": 1.5, "fps": 24}`` (the keywords of :func:`_clips.make_clip`).
    """
    shape = {"seconds": 1.0, "fps": 12, **getattr(request.module, "CLIP", {})}
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", **shape)


@pytest.fixture(scope="session")
def clip_set(tmp_path_factory: pytest.TempPathFactory) -> ClipSet:
    """``clip_set["720p30_audio"]`` etc.: the user clip set, made lazily and shared by the whole session."""
    return ClipSet(tmp_path_factory.mktemp("clip-set"))
