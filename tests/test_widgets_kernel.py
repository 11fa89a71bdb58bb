"""Panels with an ``AsyncClient`` in a real IPython kernel: the work is a task on the kernel's own loop.

A small in-memory notebook is executed with nbclient in a fresh kernel of *this* interpreter (the kernelspec
set-up of ``test_notebooks.py``), on the local backend with its own ``LUMAKIT_CACHE_DIR``. Its cells:

- ``r = await panel.generate()`` (top-level await): the result file, ``panel.result``, the status line and
  the ledger all say done, and the panel was updated from the kernel's main thread (no private loop thread);
- ``panel.start()`` in one cell, which returns at once; the task keeps running while the kernel is idle
  between cells; the next cell clicks "stop waiting" mid-render (a local server with 4 s of simulated
  processing): the job is stopped, the task UUID is kept and shown with the ``client.resume(...)`` hint, the
  ledger says "interrupted"; ``await client.resume(uuid)`` then finishes that same task.

Each cell prints ``name: value`` lines; the test reads them back and checks them, and that no cell raised.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _clips import make_clip
from test_notebooks import _kernel_env, _kernel_manager, _outputs_text

CELL_TIMEOUT = 90  # seconds per cell; each finishes in a few

SETUP = """\
import asyncio, html, threading
import lumakit as lk
from lumakit.local import Latency, LocalServer

SOURCE = {source!r}
main_thread = threading.current_thread().name
print("backend:", lk.AsyncClient().backend)
"""

# The Generate path a notebook user types: an AsyncClient, knobs set from code, top-level await.
GENERATE = """\
client = lk.AsyncClient()
panel = lk.ModifyPanel(client, source=SOURCE, prompt="the square made of blown glass")
panel.strength = "flex_1"
seen = set()
panel.observe(lambda change: seen.add(threading.current_thread().name), ["task_uuid", "result"])
display(panel)
r = await panel.generate()
entry = next(e for e in client.history() if e.task_uuid == r.task_uuid)
print("file exists:", r.path.is_file() and r.path.stat().st_size > 0)
print("panel.result is r:", panel.result is r)
print("status done:", "done" in panel.status_line.value and r.task_uuid in panel.status_line.value)
print("running:", panel.running)
print("error:", repr(panel.error))
print("details:", len(panel.details.outputs))
print("ledger state:", entry.state)
print("request strength:", r.request.strength)
print("updated on:", sorted(seen) == [main_thread])
print("private loop thread:", any(t.name == "lumakit-loop" for t in threading.enumerate()))
"""

# Start from code: the call returns at once, the task runs on the kernel loop while the kernel is idle.
START = """\
server = LocalServer({data_dir!r}, latency=Latency(processing_time=4)).start()
slow = lk.AsyncClient(backend="local", base_url=server.url)
panel2 = lk.ModifyPanel(slow, source=SOURCE, prompt="the square made of brushed steel")
panel2.strength = "reimagine_1"
t0 = asyncio.get_running_loop().time()
job = panel2.start()
print("start returned:", job is not None and not job.done())
print("running:", panel2.running)
"""

STOP = """\
def submitted():  # the task UUID is shown from the upload on; wait until the service has the task
    entry = slow.cache.ledger.get(panel2.task_uuid) if panel2.task_uuid else None
    return entry is not None and entry.state in ("submitted", "processing")

for _ in range(200):
    if submitted():
        break
    await asyncio.sleep(0.05)
uuid = panel2.task_uuid
print("submitted before stop:", submitted())
print("still running before stop:", not job.done())
panel2.stop_button.click()  # what the "stop waiting" button does (panel2.stop())
await asyncio.sleep(0.5)
status = html.unescape(panel2.status_line.value)
print("stopped:", job.stopped and job.done())
print("running:", panel2.running)
print("uuid kept:", panel2.task_uuid == uuid)
print("uuid shown:", uuid in status)
print("resume hint:", f"client.resume({uuid!r})" in status)
print("stop before render end:", asyncio.get_running_loop().time() - t0 < 4)
print("ledger state:", slow.cache.ledger.get(uuid).state)
print("panel.result:", panel2.result)
print("error:", repr(panel2.error))
"""

RESUME = """\
r2 = await slow.resume(uuid)
print("resumed same task:", r2.task_uuid == uuid)
print("file exists:", r2.path.is_file() and r2.path.stat().st_size > 0)
print("ledger state:", slow.cache.ledger.get(uuid).state)
print("tasks created on the server:", server.stats["jobs_created"])
server.stop()
"""

EXPECTED: list[dict[str, str]] = [
    {"backend": "local"},
    {
        "file exists": "True",
        "panel.result is r": "True",
        "status done": "True",
        "running": "False",
        "error": "''",
        "details": "0",
        "ledger state": "done",
        "request strength": "flex_1",
        "updated on": "True",
        "private loop thread": "False",
    },
    {"start returned": "True", "running": "True"},
    {
        "submitted before stop": "True",
        "still running before stop": "True",
        "stopped": "True",
        "running": "False",
        "uuid kept": "True",
        "uuid shown": "True",
        "resume hint": "True",
        "stop before render end": "True",
        "ledger state": "interrupted",
        "panel.result": "None",
        "error": "''",
    },
    {
        "resumed same task": "True",
        "file exists": "True",
        "ledger state": "done",
        "tasks created on the server": "1",  # resume waited for the same task, it was not sent again
    },
]


def _printed(text: str) -> dict[str, str]:
    return dict(m.groups() for m in re.finditer(r"^([^:\n]+): (.*)$", text, re.M))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, float]:
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    work = tmp_path_factory.mktemp("kernel")
    source = make_clip(work / "source.mp4", seconds=1.0, fps=12)
    cells = [
        SETUP.format(source=str(source)),
        GENERATE,
        START.format(data_dir=str(work / "slow-backend")),
        STOP,
        RESUME,
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (work / "cache").mkdir()
    client = NotebookClient(
        nb,
        km=_kernel_manager(work),
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        allow_errors=True,  # the test reports which cell failed, with its traceback
        resources={"metadata": {"path": str(work)}},
    )
    running: list[int] = []
    client.on_cell_start = lambda cell, cell_index: running.append(cell_index)
    start = time.perf_counter()
    try:
        client.execute(env=_kernel_env(work / "cache", None))
    except DeadKernelError:
        i = running[-1]
        pytest.fail(f"the kernel died in cell {i}:\n{nb.cells[i].source}")
    return nb, time.perf_counter() - start


@pytest.mark.slow
def test_async_client_panel_runs_on_the_kernel_loop(executed: tuple[Any, float]) -> None:
    nb, seconds = executed
    print(f"kernel notebook executed in {seconds:.1f} s ({sys.executable})")
    assert len(nb.cells) == len(EXPECTED)
    for i, (cell, expected) in enumerate(zip(nb.cells, EXPECTED, strict=True)):
        text = _outputs_text(cell)
        where = f"cell {i}:\n{cell.source}\n---- output:\n{text}"
        assert not any(o.get("output_type") == "error" for o in cell.outputs), where
        assert "Traceback" not in text, where
        got = _printed(text)
        assert {k: got.get(k) for k in expected} == expected, where


@pytest.mark.slow
def test_the_panel_is_shown_as_a_widget_in_the_kernel(executed: tuple[Any, float]) -> None:
    """``display(panel)`` in the kernel gives a widget view (plus the plain-output slot the result fills)."""
    nb, _ = executed
    mimes = [set(o.get("data", {})) for o in nb.cells[1].outputs]
    assert any("application/vnd.jupyter.widget-view+json" in m for m in mimes), json.dumps(mimes)
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in nb.cells[1].outputs)
    assert "<video" in html, "the finished result was not published to the panel's output slot"


def test_stop_waiting_leaves_the_private_loop_thread_running(tmp_path: Path) -> None:
    """A sync ``Client`` runs panel work on lumakit's private loop: "stop waiting" cancels that coroutine
    only; the loop thread (shared by every sync client and panel in the process) keeps running."""
    import lumakit as lk
    from lumakit.client import _sync
    from lumakit.local import Latency, LocalServer

    source = make_clip(tmp_path / "source.mp4", seconds=1.0, fps=12)
    with LocalServer(tmp_path / "backend", latency=Latency(processing_time=4)) as server:
        client = lk.Client(backend="local", base_url=server.url, progress=False)
        panel = lk.ModifyPanel(client, source=str(source), prompt="the square made of brushed steel")
        loop_before = _sync.loop()
        thread_before = _sync._thread
        job = panel.start()
        assert job is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            entry = client.aio.cache.ledger.get(panel.task_uuid) if panel.task_uuid else None
            if entry is not None and entry.state in ("submitted", "processing"):
                break
            time.sleep(0.05)
        assert not job.done(), "the job ended before it could be stopped"
        panel.stop()
        assert job.wait(10) and job.stopped
        time.sleep(0.2)  # the loop would die right after the cancelled task's last callback
        assert thread_before is not None and thread_before.is_alive(), "stop waiting killed the loop thread"
        assert _sync.loop() is loop_before and loop_before.is_running()
        assert client.aio.cache.ledger.get(panel.task_uuid).state == "interrupted"
        assert "client.resume(" in html.unescape(panel.status_line.value)
        panel.close()
