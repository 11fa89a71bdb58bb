"""The teaching notebooks: each runs top to bottom on the local backend; its key cells show what they promise.

Every notebook is executed with nbclient in a fresh kernel of *this* interpreter (a kernelspec written into a
temporary folder, so a stray user-level ``python3`` kernelspec cannot pick another Python), with its own
``LUMAKIT_CACHE_DIR`` and no Runware key, from the ``notebooks/`` folder (so ``../assets/...`` resolves as it
does in JupyterLab). Every notebook also runs on the client's Runware path (a key, a base URL,
``LUMAKIT_BACKEND=runware``) against its own Runware stand-in over loopback HTTP (``_fake_runware_http``, not
the local backend), which counts the paid jobs it receives: at most what the notebook's opening cell states
("Paid jobs on Runware: N"). Local results carry the preview mark (in HTML, in figures' SVG, in the synced
player's state); the stand-in's results carry none. The selected notebooks run two at a time; each test
waits for its own.

Static checks hold every notebook to the teaching contract: what it teaches, how long, what it costs and a
budget before the first paid call; a link to Runware's guide and the guide's own prompts quoted verbatim; an
expected-output picture (a local preview, made by ``scripts/make_notebook_pictures.py``); a recap, two or
three exercises, and links to its neighbours.

Cells the tests look at carry a metadata tag:

- ``test:video``: a ``<video`` element in its HTML output (a result, or the synced player's HTML fallback);
- ``test:figure``: an ``image/png`` output (a matplotlib figure);
- ``test:widget``: an ipywidgets view;
- ``test:error``: the expected error text (``ERROR_TEXT``), printed after catching it;
- ``test:backend``: ``backend: local`` (or ``runware``);
- ``test:python``, ``test:wire``, ``test:guide``, ``test:auto``, ``test:cached``, ``test:timeout``: text in
  ``TEXT_CHECKS``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from _fake_runware_http import RunwareStandIn

from lumakit._notice import UNLIMITED
from lumakit._preview import PREVIEW_MARK
from lumakit.cache import Cache
from lumakit.compare import MARK_GID
from lumakit.pricing import price
from lumakit.request import parse_task

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
    "test:guide",
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
        '"taskUUID": "e5d6c7b8-9a0b-1c2d-3e4f-5a6b7c8d9e0f"',
        '"model": "luma:ray@3.2"',
        '"video": "https://example.com/violinist.mp4"',
        '"settings": {\n    "edit": {\n      "strength": "flex_2"',
        '"deliveryMethod": "async"',
    ],
    "test:guide": ["same fields and values as the guide: True", "same order as the guide: True"],
    "test:python": [sys.executable],  # the kernel runs this very interpreter
    "test:timeout": ["PollTimeout: task", "client.resume("],
    "test:auto": ['"strength":'],  # the local preview's own choice, in its lumakitLocal block
    "test:cached": ["new requests sent: 0", "all from cache   : True", "cost of re-run   : 0"],
}

# ...and where Runware's answer differs: Ray reports no autoControls choice (the local preview makes one).
RUNWARE_TEXT_CHECKS = {"test:auto": ["not reported by this backend"]}

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


# ---- the teaching contract: cost, budget, guide, picture, recap -------------------------------------------

GUIDE_URL = "https://runware.ai/docs/models/luma-ray3-2/guides/editing-video"
# Runware's guide, verbatim: the request of its section "The request", and its prompts.
GUIDE_REQUEST = """[
{
"taskType": "videoInference",
"taskUUID": "e5d6c7b8-9a0b-1c2d-3e4f-5a6b7c8d9e0f",
"model": "luma:ray@3.2",
"positivePrompt": "Transform the violinist into a luminous figure of flowing golden light against a dark \
void, ribbons of light streaming from the bow and tracing his body, following his exact bowing and motion.",
"inputs": {
"video": "https://example.com/violinist.mp4"
},
"settings": {
"edit": { "strength": "flex_2" }
}
}
]"""
VIOLINIST = json.loads(GUIDE_REQUEST)[0]["positivePrompt"]
CYBER_DOLPHIN = (
    "Transform only the dolphin into a cyberpunk cybernetic creature: glowing neon circuitry and "
    "electric-blue light strips across its body, sleek dark cybernetic plating, holographic fins, while "
    "keeping the ocean, splash, and sky natural and photoreal."
)
WINTER_STREET = (
    "Turn this street into deep winter: snow blanketing the ground and rooftops, bare trees, a cold overcast "
    "sky and soft falling snow, keeping the street's overall layout and the camera move from the source."
)
# notebook -> {variable in its code: the guide's prompt it must hold, character for character}
GUIDE_PROMPTS = {
    "01_the_request": {"GUIDE_PROMPT": VIOLINIST},
    "02_strength_dial": {"PROMPT": CYBER_DOLPHIN},
    "03_per_signal_controls": {"PROMPT": CYBER_DOLPHIN},
    "05_changing_the_setting": {"WINTER": WINTER_STREET},
}
PAID_JOBS = re.compile(r"Paid jobs on Runware: (\d+)")
MAX_PICTURE_BYTES = 200_000


def _markdown(name: str) -> str:
    return "\n\n".join(c.source for c in _read(name).cells if c.cell_type == "markdown")


def stated_paid_jobs(name: str) -> int:
    """The number of paid jobs the notebook's opening cell promises (``Paid jobs on Runware: N``)."""
    found = PAID_JOBS.findall(_read(name).cells[0].source)
    assert len(found) == 1, f"{name}: the opening cell must state 'Paid jobs on Runware: N' once"
    return int(found[0])


BUDGET = re.compile(r'lk\.Client\(budget=(\d+\.\d\d), budget_scope="([^"]+)"')


def stated_budget(name: str) -> tuple[float, str]:
    """The budget and its scope that the notebook's client cell (``test:backend``) gives the client."""
    cell = next(c for c in _read(name).cells if "test:backend" in _tags(c))
    found = BUDGET.findall(cell.source)
    assert len(found) == 1, f"{name}: the client cell must make lk.Client(budget=X.XX, budget_scope=...) once"
    return float(found[0][0]), found[0][1]


def _assigned_strings(source: str) -> dict[str, str]:
    """``NAME = "..."`` assignments of a code cell (adjacent literals joined, as Python does)."""
    out = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    out[target.id] = node.value.value
    return out


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_opens_with_what_it_teaches_how_long_and_what_it_costs(name: str) -> None:
    opening = _read(name).cells[0]
    assert opening.cell_type == "markdown" and opening.source.startswith("# "), name
    assert "**What you learn:**" in opening.source and re.search(
        r"\*\*Time:\*\* about \d+ minutes", opening.source
    )
    assert stated_paid_jobs(name) >= 1


@pytest.mark.parametrize("name", EXPECTED)
def test_a_budget_is_set_before_the_first_paid_call(name: str) -> None:
    """The client is made with a ``budget=`` and a ``max_cost=`` (no call can be paid before the client
    exists) and every paid call comes after it; the notebook prices its work with ``client.estimate`` before
    its first paid call."""
    paid = re.compile(r"client\.(modify|sweep|generate|reframe|submit)\(")
    code = [c.source for c in _read(name).cells if c.cell_type == "code"]
    made = next((i for i, src in enumerate(code) if "lk.Client(" in src), None)
    assert made is not None, f"{name}: no lk.Client(...) in its code"
    call = re.search(r"lk\.Client\(([^)]*)\)", code[made])
    limits = call[1] if call else ""
    assert "budget=" in limits and "max_cost=" in limits, f"{name}: no budget where the client is made"
    first_paid = next((i for i, src in enumerate(code) if paid.search(src)), None)
    assert first_paid is not None and made < first_paid, name
    assert any("client.estimate(" in src for src in code[: first_paid + 1]), f"{name}: not priced first"
    if name == "00_quickstart":  # the budget is the first thing taught
        first_md = [c.source for c in _read(name).cells if c.cell_type == "markdown"]
        assert next(i for i, m in enumerate(first_md) if "budget=" in m and "max_cost=" in m) <= 1


@pytest.mark.parametrize("name", EXPECTED)
def test_independent_jobs_run_as_sweeps_not_loops(name: str) -> None:
    """No paid call inside a loop or comprehension: independent jobs go out together, as a sweep."""
    for cell in _read(name).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, (ast.For, ast.comprehension, ast.DictComp, ast.ListComp)):
                for call in ast.walk(node):
                    func = getattr(call, "func", None)
                    if isinstance(call, ast.Call) and isinstance(func, ast.Attribute):
                        assert func.attr not in ("modify", "generate", "reframe", "submit"), (
                            f"{name}: client.{func.attr} in a loop:\n{cell.source}"
                        )


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_links_the_guide_and_quotes_its_prompts_verbatim(name: str) -> None:
    md = _markdown(name)
    assert f"]({GUIDE_URL})" in md, f"{name}: no markdown link to Runware's guide"
    code = {}
    for cell in _read(name).cells:
        if cell.cell_type == "code":
            code.update(_assigned_strings(cell.source))
    for variable, prompt in GUIDE_PROMPTS.get(name, {}).items():
        assert code.get(variable) == prompt, f"{name}: {variable} is not the guide's prompt verbatim"
        assert prompt in md, f"{name}: the guide's prompt is not quoted in the text"


def test_the_guides_violinist_request_appears_verbatim_in_01() -> None:
    md = _markdown("01_the_request")
    assert GUIDE_REQUEST in md
    code = "\n".join(c.source for c in _read("01_the_request").cells if c.cell_type == "code")
    assert GUIDE_REQUEST in code  # pasted once more, so the notebook checks its own request against it


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_shows_an_expected_output_picture_that_exists(name: str) -> None:
    pictures = re.findall(r"!\[([^\]]*)\]\(([^)]+\.png)\)", _markdown(name))
    assert pictures, f"{name}: no picture in the markdown"
    for alt, target in pictures:
        path = NOTEBOOKS / target
        assert path.is_file(), f"{name}: {target} does not exist (run scripts/make_notebook_pictures.py)"
        assert path.stat().st_size <= MAX_PICTURE_BYTES, f"{target} is {path.stat().st_size} bytes"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", target
        assert "local preview" in alt and "not Ray" in alt, f"{name}: the picture is not labelled a preview"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_ends_with_a_recap_exercises_and_real_links(name: str) -> None:
    """A recap with 2-3 exercises, their check cells, then the answers and the links to the neighbours."""
    cells = _read(name).cells
    recap = next(c for c in cells if c.cell_type == "markdown" and "## Recap" in c.source)
    assert "## Try this" in recap.source, f"{name}: the recap cell has no exercises"
    exercises = re.findall(r"^\d+\. ", recap.source.split("## Try this", 1)[1], flags=re.M)
    assert 2 <= len(exercises) <= 3, f"{name}: {len(exercises)} exercises"
    last = cells[-1]
    assert last.cell_type == "markdown" and "## Answers" in last.source, f"{name}: no answers at the end"
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", last.source)
    i = EXPECTED.index(name)
    neighbours = [EXPECTED[j] + ".ipynb" for j in (i - 1, i + 1) if 0 <= j < len(EXPECTED)]
    assert links == neighbours, f"{name}: links {links}, expected {neighbours}"
    for cell in _read(name).cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)#]+\.ipynb)[^)]*\)", cell.source):
                assert (NOTEBOOKS / target).is_file(), f"{name}: broken link {target}"


# ---- the Runware stand-in the notebooks run against --------------------------------------------------------


def test_the_runware_stand_in_answers_as_runware_with_results_that_follow_the_request(
    clip: Path, tmp_path: Path
) -> None:
    """Over real HTTP, no ``lumakitLocal`` block: results are Ray's (``backend="runware"``), an edit keeps its
    source's size and length, a generation lasts the requested duration; each new task is one paid job."""
    import lumakit as lk
    from lumakit import media

    with RunwareStandIn() as service:
        client = lk.Client(FAKE_KEY, base_url=service.url, cache_dir=tmp_path / "cache", progress=False)
        edit = client.modify(clip, "a neon city at night", strength="flex_2")
        again = client.modify(clip, "a neon city at night", strength="flex_2")  # cached: not paid twice
        made = client.generate("a calm sea at dawn", duration=5, resolution="360p")
        client.close()
        assert service.paid_jobs == 2
        assert "lumakitLocal" not in json.dumps([body for *_, body in service.fake.requests])
    assert edit.backend == made.backend == "runware" and not edit.is_local and again.path == edit.path
    src, out, gen = media.probe(clip), media.probe(edit.path), media.probe(made.path)
    assert (out.width, out.height, out.n_frames) == (src.width, src.height, src.n_frames)
    changed = np.abs(media.frames(edit.path, n=3).astype(int) - media.frames(clip, n=3)).mean()
    assert changed > 10, f"the edit is its source, mean pixel change {changed:.1f}"
    assert (gen.width, gen.height) == (640, 360) and gen.duration == pytest.approx(5, abs=0.1)


# ---- execution -------------------------------------------------------------------------------------------


# Figures also as SVG, where the preview mark is an element with its own id (a PNG's pixels cannot be read):
# a formatter for matplotlib's Figure by name (matplotlib is imported only when a figure is shown), and the
# same formats for the inline backend, which resets the formatters when pyplot starts.
SVG_TOO = [
    "--IPKernelApp.exec_lines="
    'get_ipython().display_formatter.formatters["image/svg+xml"]'
    '.for_type_by_name("matplotlib.figure", "Figure", '
    'lambda fig: __import__("IPython.core.pylabtools").core.pylabtools.print_figure(fig, "svg"))',
    "--InlineBackend.figure_formats=png",
    "--InlineBackend.figure_formats=svg",
]


def _kernel_manager(kernel_dir: Path) -> Any:
    """A kernel manager whose only kernelspec launches this very interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = kernel_dir / "kernels" / "lumakit-test"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", *SVG_TOO],
                "display_name": "lumakit test kernel",
                "language": "python",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(kernel_dir / "kernels")], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="lumakit-test", kernel_spec_manager=ksm)


# The Runware path, rehearsed: a stand-in service answering as Runware does (no lumakitLocal block) plays
# api.runware.ai, and the client is told it is Runware (a key, a base URL, LUMAKIT_BACKEND=runware). A
# notebook that only works on the local backend fails.
RUNWARE_MODE = EXPECTED
FAKE_KEY = "sk-notebook-test-Zq7Kx9"  # must never show up in any output or cached file


def _kernel_env(cache_dir: Path, runware_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()}
    for name in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL", "LUMAKIT_MAX_COST", "LUMAKIT_BUDGET_CAP"):
        env.pop(name, None)
    env["LUMAKIT_CACHE_DIR"] = str(cache_dir)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # as in JupyterLab, not the tests' Agg
    if runware_url is None:
        env["LUMAKIT_BACKEND"] = "local"
    else:
        env.update(LUMAKIT_BACKEND="runware", RUNWARE_BASE_URL=runware_url, RUNWARE_API_KEY=FAKE_KEY)
    return env


@dataclass
class Run:
    """One executed notebook: the notebook with its outputs, and what the stand-in service saw."""

    nb: Any
    seconds: float
    work: Path
    paid_jobs: int | None = None  # jobs the stand-in Runware created (None on the local backend)
    priced: float | None = None  # what those jobs cost at lumakit's price table (USD)


def notebook_client(nb: Any, work: Path) -> Any:
    """An nbclient runner for ``nb`` with its kernel in ``work``, cells run from the notebooks folder."""
    from nbclient import NotebookClient

    return NotebookClient(
        nb,
        km=_kernel_manager(work),
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )


def _run_cells(nb: Any, work: Path, env: dict[str, str]) -> None:
    """Execute ``nb`` in a fresh kernel. A kernel that never answered its first message (seen once in CI with
    two test workers starting kernels at once) is replaced once: no cell had run, so nothing is repeated."""
    for attempt in (1, 2):
        client = notebook_client(nb, work)
        started: list[int] = []
        client.on_cell_start = lambda cell, cell_index, seen=started: seen.append(cell_index)
        try:
            client.execute(env=env)
            return
        except RuntimeError as exc:
            if started or "didn't respond" not in str(exc) or attempt == 2:
                raise


def _execute(name: str, work: Path, mode: str) -> Run:
    nb = _read(name)
    (work / "cache").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if mode == "local":
        _run_cells(nb, work, _kernel_env(work / "cache", None))
        return Run(nb, time.perf_counter() - start, work)
    with RunwareStandIn() as service:  # one per notebook: its jobs are its own
        _run_cells(nb, work, _kernel_env(work / "cache", service.url))
        jobs = service.paid_jobs
        # every source in the notebooks is a 3.5 s 640x360 sample clip or a result of one (5 s generations
        # price the same: a source up to 5 s takes the 5 s price)
        priced = sum(price(parse_task(task), 3.5, (640, 360)).usd for task in service.fake.paid_tasks)
    return Run(nb, time.perf_counter() - start, work, paid_jobs=jobs, priced=priced)


class _Runner:
    """Runs the notebooks selected in this session two at a time, in the order the tests will ask for them."""

    def __init__(self, jobs: list[tuple[str, str]], base: Path) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notebook")
        self._futures: dict[tuple[str, str], Future[Run]] = {
            (name, mode): self._pool.submit(_execute, name, base / f"{name}-{mode}", mode)
            for name, mode in jobs
        }

    def result(self, name: str, mode: str) -> Run:
        return self._futures[(name, mode)].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


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


def _svg(cell: Any) -> str:
    return "\n".join(str(out.get("data", {}).get("image/svg+xml", "")) for out in cell.get("outputs", []))


def _player_previews(nb: Any) -> list[list[bool]]:
    """Per synced player the notebook made, the ``preview`` flag of each of its clips (saved widget state)."""
    saved = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = saved.get("state", {})
    return [
        [bool(src.get("preview")) for src in model["state"].get("sources", [])]
        for model in state.values()
        if model.get("model_name") == "AnyModel" and "preview_mark" in model.get("state", {})
    ]


def _check(name: str, nb: Any, backend: str) -> None:
    checked = 0
    text_checks = {**TEXT_CHECKS, **RUNWARE_TEXT_CHECKS} if backend == "runware" else TEXT_CHECKS
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{name} cell {i}:\n{cell.source}"
        text = _outputs_text(cell)
        assert "Traceback" not in text, where
        assert FAKE_KEY not in text + _html(cell), f"{where}\nthe API key is in the output"
        shown = text + _html(cell)
        assert UNLIMITED not in shown and "nothing limits spending" not in shown.lower(), (
            f"{where}\nwarns that nothing limits spending"
        )
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
                for expected in text_checks[tag]:
                    assert expected in text, f"{where}\nexpected {expected!r} in:\n{text}"
    assert checked, f"{name}: no tagged cells were checked"


def _first_output(nb: Any) -> tuple[Any, str]:
    """The first code cell that shows anything, and what it shows (text and HTML)."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.get("outputs"))
    return cell, _outputs_text(cell) + "\n" + _html(cell)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs(name: str, runner: _Runner) -> None:
    """Top to bottom on the embedded local backend, no key: what a newcomer gets."""
    run = runner.result(name, "local")
    print(f"{name}: executed in {run.seconds:.1f} s")
    _check(name, run.nb, "local")
    shown = "\n".join(_html(c) for c in run.nb.cells if "test:video" in _tags(c))
    assert PREVIEW_MARK in shown, f"{name}: its videos do not say they are previews"
    for i, cell in enumerate(run.nb.cells):
        if "test:figure" in _tags(cell):  # lumakit's figures mark by id; a hand-made plot, in its title
            svg = _svg(cell)
            assert MARK_GID in svg or PREVIEW_MARK in svg, f"{name} cell {i}: unmarked figure\n{cell.source}"
    players = _player_previews(run.nb)
    assert players or "sync=True" not in "".join(c.source for c in run.nb.cells), f"{name}: no player state"
    for clips in players:  # each player shows a result (a preview) beside its source (none)
        assert any(clips), f"{name}: a synced player shows its local results unmarked: {clips}"
    first, shown = _first_output(run.nb)  # where lk.Client() is made
    assert "test:backend" in _tags(first), f"{name}: the first output is not the client's:\n{first.source}"
    assert "lumakit backend: local preview" in _html(first), f"{name}: no HTML note of the backend"
    # the budget counts Runware jobs only: nothing is "left" of it on the free local backend
    assert "backend: local" in shown and "free" in shown, f"{name}: the first output:\n{shown}"
    money_left = re.search(r"\$[\d.]+,? left|left: \$", shown)
    assert not money_left, f"{name}: claims a budget left on local previews:\n{shown}"
    stderr = [o for o in first.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not any("RUNWARE_API_KEY" in o.get("text", "") for o in stderr), "the note went to stderr"


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNWARE_MODE)
def test_notebook_runs_on_the_runware_path(name: str, runner: _Runner) -> None:
    """Unchanged with a key, against a Runware stand-in (not the local backend): it submits at most the paid
    jobs it states, the key is in no output and no file of the cache, and no result is marked a preview."""
    run = runner.result(name, "runware")
    print(f"{name} (runware path): executed in {run.seconds:.1f} s, {run.paid_jobs} paid jobs")
    _check(name, run.nb, "runware")
    for i, cell in enumerate(run.nb.cells):
        shown = _outputs_text(cell) + _svg(cell)
        assert PREVIEW_MARK not in shown and MARK_GID not in shown, (
            f"{name} cell {i}: Runware's result marked"
        )
    players = _player_previews(run.nb)
    assert not any(map(any, players)), f"{name}: a synced player marks Runware's results previews: {players}"
    budget, scope = stated_budget(name)
    first, shown = _first_output(run.nb)  # which backend, the budget and what is left, before any job
    assert "test:backend" in _tags(first), f"{name}: the first output is not the client's:\n{first.source}"
    for expected in ("lumakit backend: Runware", f"budget ${budget:.2f}, ${budget:.2f} left"):
        assert expected in shown, f"{name}: expected {expected!r} in the first output:\n{shown}"
    cache = Cache(run.work / "cache")  # every job sent was counted against the notebook's own budget
    spent, in_all = cache.spending.total("runware", scope), cache.spending.total("runware")
    assert 0 < spent <= budget and spent == pytest.approx(in_all), (
        f"{name}: ${spent:.2f} counted under {scope!r}, ${in_all:.2f} sent in all, budget ${budget:.2f}"
    )
    assert run.paid_jobs is not None and 1 <= run.paid_jobs <= stated_paid_jobs(name), (
        f"{name}: submitted {run.paid_jobs} jobs, its opening cell states {stated_paid_jobs(name)}"
    )
    from test_notebook_teaching import stated_cost

    assert run.priced is not None and run.priced <= stated_cost(name) + 0.005, (
        f"{name}: sent ${run.priced:.2f} of jobs (price table), its opening states ${stated_cost(name):.2f}"
    )
    assert FAKE_KEY not in nbformat.writes(run.nb), f"{name}: the API key is in the executed notebook"
    key = FAKE_KEY.encode()
    for path in (run.work / "cache").rglob("*"):
        if path.is_file():
            assert key not in path.read_bytes(), f"the API key is in {path}"
