"""The teaching notebooks: each runs top to bottom on the local backend; its key cells show what they promise.

Every notebook is executed with nbclient in a fresh kernel of *this* interpreter (a kernelspec written into a
temporary folder, so a stray user-level ``python3`` kernelspec cannot pick another Python), with its own
``LUMAKIT_CACHE_DIR`` and no Runware key, from the ``notebooks/`` folder (so ``../assets/...`` resolves as it
does in JupyterLab). A few also run on the client's Runware path, against the local server standing in for
Runware. The selected notebooks run two at a time; each test waits for its own.

Cells the tests look at carry a metadata tag:

- ``test:video``: a ``<video`` element in its HTML output (a result, or the synced player's HTML fallback);
- ``test:figure``: an ``image/png`` output (a matplotlib figure);
- ``test:widget``: an ipywidgets view;
- ``test:error``: the expected error text (``ERROR_TEXT``), printed after catching it;
- ``test:backend``: ``backend: local`` (or ``runware``);
- ``test:python``, ``test:wire``, ``test:auto``, ``test:cached``, ``test:timeout``: text in ``TEXT_CHECKS``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# One notebook per workflow of the guide (plus quickstart and two beyond it): none may go missing.
EXPECTED = (
    "00_quickstart",
    "01_the_request",
    "02_strength_dial",
    "03_per_signal_controls",
    "04_auto_controls",
    "05_changing_the_setting",
    "06_relight_and_restyle",
    "07_tips_and_reframing",
    "08_text_and_image_to_video",
    "09_history_and_costs",
)

KNOWN_TAGS = {
    "test:video",
    "test:figure",
    "test:widget",
    "test:error",
    "test:backend",
    "test:wire",
    "test:auto",
    "test:cached",
    "test:python",
    "test:timeout",
}

# test:error cells: the text each notebook's caught error must print.
ERROR_TEXT = {
    "01_the_request": ["RequestError: strength='flex2'", "did you mean 'flex_2'"],
    "04_auto_controls": ["RequestError:", "cannot be combined with"],
    "07_tips_and_reframing": ["RequestError:", "'width'"],
    "09_history_and_costs": ["BudgetError:"],
}

# Other tagged cells: text that must appear in their output.
TEXT_CHECKS = {
    "test:wire": [
        '"model": "luma:ray@3.2"',
        '"video": "https://runware.ai/docs/assets/source-performer',
        '"settings": {\n    "edit": {\n      "strength": "flex_2"',
        '"deliveryMethod": "async"',
    ],
    "test:python": [sys.executable],  # the kernel runs this very interpreter
    "test:timeout": ["PollTimeout: task", "client.resume("],
    "test:auto": ['"strength":'],
    "test:cached": ["new requests sent: 0", "all from cache   : True", "cost of re-run   : 0"],
}

MAX_NOTEBOOK_BYTES = 20_000  # stripped notebooks are prose and code only
CELL_TIMEOUT = 240  # seconds per cell; the local backend answers in far less


def _paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


# ---- static checks: what is in git -------------------------------------------------------------------------


def test_every_workflow_has_its_notebook() -> None:
    assert [p.stem for p in _paths()] == list(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear it before committing"
    for i, cell in enumerate(nb.cells):
        where = f"{path.name} cell {i}"
        assert set(_tags(cell)) <= KNOWN_TAGS, f"{where}: unknown tags {_tags(cell)}"
        assert "execution" not in cell.metadata, f"{where} has saved execution timings"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where} has saved outputs"
            assert cell.execution_count is None, f"{where} has an execution count"
        else:
            assert not _tags(cell), f"{where}: only code cells are checked, tag a code cell"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_uses_only_public_paths(name: str) -> None:
    """Only ``../assets/...`` relative paths, no local-only backend calls in the main path."""
    for cell in _read(name).cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        assert "/work/" not in src and "/tmp/" not in src and "C:\\" not in src, src
        assert "lumakit.local" not in src and "lk.local" not in src and "LocalServer" not in src, src
        assert "RUNWARE_API_KEY" not in src and "LUMAKIT_CACHE_DIR" not in src, src


def test_tagged_cells_cover_the_promises() -> None:
    """Each notebook checks what it promises: a video, a figure and its special cells."""
    tags = {name: {t for c in _read(name).cells for t in _tags(c)} for name in EXPECTED}
    for name in EXPECTED:
        assert "test:video" in tags[name], name
    for name in ("00_quickstart", "02_strength_dial", "03_per_signal_controls", "05_changing_the_setting"):
        assert "test:figure" in tags[name], name
    for name in ERROR_TEXT:
        assert "test:error" in tags[name], name
    assert {"test:cached", "test:timeout"} <= tags["09_history_and_costs"]
    assert "test:auto" in tags["04_auto_controls"]
    for name in ("02_strength_dial", "03_per_signal_controls", "09_history_and_costs"):
        assert "test:widget" in tags[name], name


# ---- execution -------------------------------------------------------------------------------------------


def _kernel_manager(kernel_dir: Path) -> Any:
    """A kernel manager whose only kernelspec launches this very interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = kernel_dir / "kernels" / "lumakit-test"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "lumakit test kernel",
                "language": "python",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(kernel_dir / "kernels")], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="lumakit-test", kernel_spec_manager=ksm)


# The Runware path, rehearsed: the local server stands in for api.runware.ai and the client is told it is
# Runware (a key, a base URL, LUMAKIT_BACKEND=runware). A notebook that only works on the local backend fails.
RUNWARE_MODE = ("01_the_request", "09_history_and_costs")
FAKE_KEY = "sk-notebook-test-Zq7Kx9"  # must never show up in any output


def _kernel_env(cache_dir: Path, runware_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()}
    for name in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL", "LUMAKIT_MAX_COST"):
        env.pop(name, None)
    env["LUMAKIT_CACHE_DIR"] = str(cache_dir)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # as in JupyterLab, not the tests' Agg
    if runware_url is None:
        env["LUMAKIT_BACKEND"] = "local"
    else:
        env.update(LUMAKIT_BACKEND="runware", RUNWARE_BASE_URL=runware_url, RUNWARE_API_KEY=FAKE_KEY)
    return env


def _execute(name: str, work: Path, runware_url: str | None) -> tuple[Any, float]:
    from nbclient import NotebookClient

    nb = _read(name)
    (work / "cache").mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        nb,
        km=_kernel_manager(work),
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute(env=_kernel_env(work / "cache", runware_url))
    return nb, time.perf_counter() - start


class _Runner:
    """Runs the notebooks selected in this session two at a time, in the order the tests will ask for them."""

    def __init__(self, jobs: list[tuple[str, str]], base: Path) -> None:
        self._server = None
        url = None
        if any(mode == "runware" for _, mode in jobs):
            from lumakit.local import LocalServer

            self._server = LocalServer(base / "stand-in-runware").start()
            url = self._server.url
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notebook")
        self._futures: dict[tuple[str, str], Future[tuple[Any, float]]] = {
            (name, mode): self._pool.submit(
                _execute, name, base / f"{name}-{mode}", url if mode == "runware" else None
            )
            for name, mode in jobs
        }

    def result(self, name: str, mode: str) -> tuple[Any, float]:
        return self._futures[(name, mode)].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._server is not None:
            self._server.stop()


_MODES = {"test_notebook_runs": "local", "test_notebook_runs_on_the_runware_path": "runware"}


@pytest.fixture(scope="session")
def runner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    jobs = [
        (item.callspec.params["name"], _MODES[item.originalname])
        for item in request.session.items
        if getattr(item, "originalname", None) in _MODES and hasattr(item, "callspec")
    ]
    r = _Runner(jobs, tmp_path_factory.mktemp("notebooks"))
    yield r
    r.close()


def _outputs_text(cell: Any) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
        else:
            data = out.get("data", {})
            parts.append(str(data.get("text/plain", "")))
            parts.append(str(data.get("text/html", "")))
    return "\n".join(parts)


def _mimetypes(cell: Any) -> set[str]:
    return {m for out in cell.get("outputs", []) for m in out.get("data", {})}


def _html(cell: Any) -> str:
    return "\n".join(str(out.get("data", {}).get("text/html", "")) for out in cell.get("outputs", []))


def _check(name: str, nb: Any, backend: str) -> None:
    checked = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{name} cell {i}:\n{cell.source}"
        text = _outputs_text(cell)
        assert "Traceback" not in text, where
        assert FAKE_KEY not in text + _html(cell), f"{where}\nthe API key is in the output"
        for tag in _tags(cell):
            checked += 1
            if tag == "test:video":
                assert "<video" in _html(cell), f"{where}\nno <video> in {sorted(_mimetypes(cell))}"
            elif tag == "test:figure":
                assert "image/png" in _mimetypes(cell), f"{where}\nno figure in {sorted(_mimetypes(cell))}"
            elif tag == "test:widget":
                assert "application/vnd.jupyter.widget-view+json" in _mimetypes(cell), where
            elif tag == "test:error":
                for expected in ERROR_TEXT[name]:
                    assert expected in text, f"{where}\nexpected {expected!r} in:\n{text}"
            elif tag == "test:backend":
                assert f"backend: {backend}" in text, f"{where}\nexpected backend {backend!r} in:\n{text}"
            else:
                for expected in TEXT_CHECKS[tag]:
                    assert expected in text, f"{where}\nexpected {expected!r} in:\n{text}"
    assert checked, f"{name}: no tagged cells were checked"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs(name: str, runner: _Runner) -> None:
    """Top to bottom on the embedded local backend, no key: what a newcomer gets."""
    nb, seconds = runner.result(name, "local")
    print(f"{name}: executed in {seconds:.1f} s")
    _check(name, nb, "local")


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNWARE_MODE)
def test_notebook_runs_on_the_runware_path(name: str, runner: _Runner) -> None:
    """Unchanged with a key: the client takes its Runware path (the local server plays Runware)."""
    nb, seconds = runner.result(name, "runware")
    print(f"{name} (runware path): executed in {seconds:.1f} s")
    _check(name, nb, "runware")
