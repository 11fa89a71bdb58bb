"""lumakit as a user installs it: a built wheel, a fresh venv, ``lumakit demo`` from an empty folder.

The wheel is built from this checkout with ``pip wheel --no-deps`` and installed with ``--no-deps`` into a
fresh venv (no ``--system-site-packages``). Its third-party dependencies come from the test's own
environment through a ``.pth`` line naming that environment's site-packages (a path line only: the
editable-install hook in there is not run, so ``import lumakit`` finds the wheel, never the checkout). That
keeps the test to seconds instead of a full download; that the wheel *declares* every package lumakit
imports is checked separately, against the wheel's own metadata.
"""

from __future__ import annotations

import ast
import email
import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ("dolphin.mp4", "face.mp4", "street.mp4", "violinist.mp4", "frame.png", "frame_last.png")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("lumakit-*.whl")
    return built


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def test_the_wheel_carries_the_samples_the_player_and_the_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for sample in SAMPLE_FILES:
        assert f"lumakit/_samples/{sample}" in names
        packed = zipfile.ZipFile(wheel).getinfo(f"lumakit/_samples/{sample}").file_size
        assert packed == (ROOT / "assets" / sample).stat().st_size  # the committed file, not a copy
    assert {"lumakit/py.typed", "lumakit/_player/player.js", "lumakit/_player/player.css"} <= names
    assert not any(n.startswith(("tests/", "assets/", "notebooks/")) for n in names)


def _imported_distributions() -> set[str]:
    """Distributions of every third-party top-level module lumakit's code imports (lazily or not)."""
    tops: set[str] = set()
    for py in (ROOT / "lumakit").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops.add(node.module.split(".")[0])
    tops -= set(sys.stdlib_module_names) | {"lumakit", "__future__"}
    owners = importlib.metadata.packages_distributions()
    missing = sorted(t for t in tops if t not in owners)
    assert not missing, f"imported but not installed here: {missing}"
    return {_norm(d) for t in tops for d in owners[t]}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_wheel_declares_every_package_lumakit_imports(wheel: Path) -> None:
    meta = email.message_from_string(zipfile.ZipFile(wheel).read("lumakit-0.1.0.dist-info/METADATA").decode())
    requirements = meta.get_all("Requires-Dist") or []
    name = lambda r: _norm(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0])  # noqa: E731
    required = {name(r) for r in requirements if "extra ==" not in r}
    # an optional extra may serve an import that only one method makes (pandas for to_pandas())
    optional = {name(r) for r in requirements if re.search(r"extra == ['\"]pandas['\"]", r)}
    undeclared = _imported_distributions() - required - optional
    assert not undeclared, f"lumakit imports these but its wheel does not require them: {sorted(undeclared)}"
    assert "imageio-ffmpeg" in required


@pytest.mark.slow
def test_lumakit_demo_from_an_empty_folder_after_installing_the_wheel(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=300, env=_clean_env(),
    )  # fmt: skip

    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [str(py), "-c", "import lumakit as lk; print(lk.__file__); print(lk.samples.path('dolphin'))"],
        cwd=empty, check=True, capture_output=True, text=True, env=_clean_env(),
    ).stdout.split()  # fmt: skip
    assert Path(where[0]).is_relative_to(site), f"imported {where[0]}, not the installed wheel"
    assert Path(where[1]) == site / "lumakit" / "_samples" / "dolphin.mp4"

    proc = subprocess.run(
        [str(venv / "bin" / "lumakit"), "demo", "--no-progress"],
        cwd=empty, capture_output=True, text=True, timeout=600, env=_clean_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "dolphin.mp4" in proc.stdout
    out = empty / "lumakit-demo"
    assert (out / "grid.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "index.html").read_text().count("<video") == 4
