"""`import lumakit` and the client stay light: no moviepy (it reads .env files), matplotlib or ipywidgets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("moviepy", "matplotlib", "ipywidgets")


@pytest.mark.parametrize(
    "statement",
    [
        "import lumakit",
        "import lumakit.client",
        "import lumakit as lk; lk.Client; lk.AsyncClient; lk.Result; lk.ResultSet",
        "import lumakit.cache, lumakit.results",
        "import lumakit.side_by_side, lumakit.report, lumakit.records; import lumakit as lk; lk.save_report",
    ],
)
def test_light_imports(statement):
    code = f"{statement}\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules = json.loads(out)
    loaded = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert loaded == [], f"{statement!r} imported {loaded}"


def test_no_public_name_is_also_a_submodule_name() -> None:
    """``lk.comparison_video`` is a function: a module ``lumakit/comparison_video.py`` would replace it with
    itself as soon as anything imported that module (Python binds a submodule on its package)."""
    from pathlib import Path

    import lumakit

    root = Path(lumakit.__file__).parent
    submodules = {p.stem for p in root.glob("*.py")} | {p.parent.name for p in root.glob("*/__init__.py")}
    clash = sorted(n for n in lumakit.__all__ if n in submodules and n not in lumakit._SUBMODULES)
    assert clash == []
    code = "import lumakit.side_by_side, lumakit as lk; print(callable(lk.comparison_video))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "True\n"
