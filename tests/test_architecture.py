"""The import rules of docs/architecture.md, read from the source (lazy imports in functions count too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "lumakit"
CLIENT_PRIVATE = {"_jobs", "_budget", "_uploads", "_submit", "_downloads", "_transport", "_protocol",
                  "_polling", "_progress", "_sync"}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PKG.parent / rel).with_suffix(".py").is_file() or (PKG.parent / rel / "__init__.py").is_file()


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """``(lumakit modules, other top-level packages)`` that a file imports, anywhere in it."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    ours: set[str] = set()
    others: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "lumakit":
                if name != "lumakit":
                    ours.add(name)
            elif name != "__future__" and name.split(".")[0] not in sys.stdlib_module_names:
                others.add(name.split(".")[0])
    return ours, others


def _files_in(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py")) if (PKG / sub).is_dir() else [PKG / sub]


def test_the_rules_see_relative_and_lazy_imports() -> None:
    ours, others = imports_of(PKG / "compare.py")
    assert {"lumakit.media", "lumakit.errors", "lumakit._files"} <= ours
    assert {"numpy", "matplotlib"} <= others  # matplotlib is imported lazily, inside functions


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("errors.py", set()),
        ("_files.py", set()),
        ("request.py", {"lumakit.errors"}),
        ("media.py", {"lumakit.errors", "lumakit._files", "lumakit._video_probe", "lumakit._video_read"}),
        ("_video_probe.py", {"lumakit.errors", "lumakit._files"}),
        ("_video_read.py", {"lumakit.errors", "lumakit._video_probe"}),
    ],
)
def test_leaves_import_only_what_the_architecture_allows(module: str, allowed: set[str]) -> None:
    ours, _ = imports_of(PKG / module)
    assert ours <= allowed, f"{module} imports {sorted(ours - allowed)}"


def test_the_files_leaf_needs_only_the_standard_library_and_platformdirs() -> None:
    _, others = imports_of(PKG / "_files.py")
    assert others <= {"platformdirs"}
    module_level = {a.name for n in ast.parse((PKG / "_files.py").read_text()).body
                    if isinstance(n, ast.Import) for a in n.names}  # fmt: skip
    assert "platformdirs" not in module_level  # imported inside cache_root(), only when no env var is set


def test_the_local_backend_never_imports_the_client() -> None:
    for path in _files_in("local"):
        ours, _ = imports_of(path)
        client = {m for m in ours if m == "lumakit.client" or m.startswith("lumakit.client.")
                  or m.split(".")[-1] in CLIENT_PRIVATE}  # fmt: skip
        assert not client, f"{path.relative_to(PKG)} imports {sorted(client)}"


def test_only_the_panels_import_ipywidgets() -> None:
    offenders = [
        str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
        if "ipywidgets" in imports_of(p)[1] and p.relative_to(PKG).parts[0] != "widgets"
    ]  # fmt: skip
    assert offenders == []
