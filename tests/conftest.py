"""Shared test setup: every test runs with its own cache folder and without a real API key."""

from __future__ import annotations

import os

import pytest

# Headless plotting everywhere, before any test imports matplotlib.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach Runware, spend money or write to the user's real cache."""
    for name in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL", "LUMAKIT_BACKEND", "LUMAKIT_MAX_COST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path_factory.mktemp("lumakit-cache")))
