"""The backend notice: a friendly HTML note in notebooks, one line in terminals; where the key comes from."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from lumakit import _notice

URL = "http://127.0.0.1:8765"


def test_terminal_gets_one_line_on_stderr_and_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog
) -> None:
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="lumakit.client"):
        _notice.announce_local(URL)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "local previews, not Ray" in err and "RUNWARE_API_KEY" in err
    assert "api_key=" in err and ".env" not in err  # no .env here: no .env hint
    assert [r.getMessage() for r in caplog.records] == [err.strip()]


def test_a_dotenv_naming_the_key_is_pointed_out_and_its_value_never_read_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "sk-dotenv-secret-Qw81"
    (tmp_path / ".env").write_text(f"OTHER=1\nRUNWARE_API_KEY={secret}\n")
    work = tmp_path / "notebooks"
    work.mkdir()
    monkeypatch.chdir(work)  # a notebook folder below the project's .env
    assert _notice.dotenv_with_key() == tmp_path / ".env"
    _notice.announce_local(URL)
    err = capsys.readouterr().err
    assert f"{tmp_path / '.env'} mentions it but .env files are not read" in err
    html = _notice.local_notice_html(URL, _notice.dotenv_with_key())
    assert secret not in err and secret not in html
    assert "does not read <code>.env</code> files" in html


def test_a_dotenv_without_the_key_is_not_mentioned(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENAI_API_KEY=x\n")
    assert _notice.dotenv_with_key(tmp_path) is None


def test_the_notebook_note_says_backend_key_sources_dotenv_and_how_to_switch() -> None:
    html = _notice.local_notice_html(URL)
    for text in (
        "lumakit backend: local preview",
        "local preview, not Ray",
        "<code>RUNWARE_API_KEY</code> environment variable",
        "lk.Client(api_key=...)",
        ".env</code> files are not read",
        "Colab",
        "set the key, restart the kernel",
        URL,
    ):
        assert text in html, text
    assert "error" not in html.lower() and "warning" not in html.lower()  # a note, not an alarm


def test_in_a_notebook_the_note_is_html_not_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[object] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_notice, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    _notice.announce_local(URL)
    assert capsys.readouterr().err == ""
    (note,) = shown
    assert "lumakit backend: local preview" in note.data  # type: ignore[attr-defined]


def test_outside_a_kernel_is_not_a_notebook() -> None:
    assert _notice.in_notebook() is False


def test_a_runware_client_says_where_its_key_came_from_and_its_budget_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import lumakit.client._async_client as client_module
    from lumakit.client import AsyncClient

    shown: list[object] = []
    monkeypatch.setattr(client_module, "_announced", set())
    monkeypatch.setattr(_notice, "_warned_unlimited", True)  # the no-limit warning has its own test
    monkeypatch.setattr(_notice, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("RUNWARE_API_KEY", "sk-notice-SECRET-123456")
    AsyncClient(cache_dir=tmp_path / "a", max_cost=2.5)
    AsyncClient(cache_dir=tmp_path / "b")  # once per process
    (note,) = shown
    text = note.data  # type: ignore[attr-defined]
    assert "lumakit backend: Runware" in text and "billed" in text
    assert "RUNWARE_API_KEY" in text and "$2.50" in text and "SECRET" not in text
    assert capsys.readouterr().err == ""
    assert "no max_cost set" in _notice.runware_notice_line("u", "api_key=", None)


@pytest.fixture
def paid_notebook(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A fresh kernel (nothing announced or warned yet) in a notebook, with a key: what it displays."""
    import lumakit.client._async_client as client_module

    shown: list[object] = []
    monkeypatch.setattr(client_module, "_announced", set())
    monkeypatch.setattr(_notice, "_warned_unlimited", False)
    monkeypatch.setattr(_notice, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("RUNWARE_API_KEY", "sk-notice-SECRET-123456")
    for name in ("LUMAKIT_BUDGET", "LUMAKIT_MAX_COST", "LUMAKIT_BUDGET_CAP"):
        monkeypatch.delenv(name, raising=False)
    return shown


def test_a_runware_notice_states_the_budget_and_what_is_left(tmp_path: Path, paid_notebook: list) -> None:
    from lumakit.cache import Cache
    from lumakit.client import AsyncClient

    cache = Cache(tmp_path / "a")
    # a job in flight from an earlier kernel counts its estimate
    cache.ledger.claim("11111111-2222-4333-8444-555555555555", kind="modify", key="k" * 64, backend="runware",
                wire=None, estimate=1.08)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a client with a budget does not warn
        AsyncClient(cache_dir=tmp_path / "a", budget=20.0, budget_scope=None)
    (note,) = paid_notebook
    text = note.data  # type: ignore[attr-defined]
    assert "lumakit backend: Runware" in text and "$20.00" in text and "$18.92 left" in text
    assert "Nothing limits spending" not in text and "SECRET" not in text
    limits = _notice.Limits(None, 5.0, 4.5, "02_strength_dial")
    line = _notice.runware_notice_line("u", "api_key=", None, limits)
    assert "budget $5.00 (scope '02_strength_dial'), $4.50 left" in line


def test_a_class_cap_is_stated_in_the_notice_and_is_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paid_notebook: list
) -> None:
    from lumakit.client import AsyncClient

    monkeypatch.setenv("LUMAKIT_BUDGET_CAP", "30")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cap limits spending: no "nothing limits" warning
        AsyncClient(cache_dir=tmp_path / "a", backend="runware")
    (note,) = paid_notebook
    text = note.data  # type: ignore[attr-defined]
    assert "LUMAKIT_BUDGET_CAP" in text and "$30.00" in text and "$30.00 left" in text
    assert "Nothing limits spending" not in text
    limits = _notice.Limits(None, 5.0, 4.5, "02_strength_dial", cap=30.0, cap_left=2.0)
    line = _notice.runware_notice_line("u", "api_key=", None, limits)
    assert "budget $5.00 (scope '02_strength_dial'), $4.50 left" in line  # each limit with its own figure
    assert "LUMAKIT_BUDGET_CAP $30.00 over the whole cache, $2.00 left" in line

def test_a_runware_client_with_nothing_limiting_it_warns_once_in_a_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paid_notebook: list
) -> None:
    from lumakit.client import AsyncClient

    with pytest.warns(UserWarning, match="nothing limits what it spends") as caught:
        AsyncClient(cache_dir=tmp_path / "a", backend="runware")
        AsyncClient(cache_dir=tmp_path / "b", backend="runware")  # once per process
    assert len([w for w in caught if "nothing limits" in str(w.message)]) == 1
    assert "Nothing limits spending" in paid_notebook[0].data  # type: ignore[attr-defined]
    monkeypatch.setattr(_notice, "_warned_unlimited", False)
    monkeypatch.setattr(_notice, "in_notebook", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in a terminal: the log line says it, no warning
        AsyncClient(cache_dir=tmp_path / "c", backend="runware")


FRESH_KERNEL = """
import sys
import lumakit as lk
from lumakit import _notice

shown = []
if sys.argv[1] == "notebook":
    import IPython.display

    _notice.in_notebook = lambda: True
    IPython.display.display = shown.append
first, second = lk.Client(progress=False), lk.AsyncClient(progress=False)
urls = {first.base_url, second.base_url}  # first use: the shared local backend starts here
print(len(urls), sum("lumakit backend: local preview" in note.data for note in shown))
first.close()
"""


@pytest.mark.parametrize("where", ["terminal", "notebook"])
def test_a_process_sees_the_local_notice_once_however_many_clients_and_first_uses(tmp_path: Path, where: str):
    """A fresh process without a key makes two clients and starts the shared backend: one notice, said
    where the first client is made (a note in a notebook, one line on stderr in a terminal), never again."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("RUNWARE_API_KEY", "RUNWARE_BASE_URL")}
    env.update(LUMAKIT_CACHE_DIR=str(tmp_path / "cache"), LUMAKIT_BACKEND="local")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-c", FRESH_KERNEL, where], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120, check=True,
    )  # fmt: skip
    urls, notes = map(int, run.stdout.split())
    lines = run.stderr.count("local previews, not Ray")
    assert urls == 1  # both clients use the one shared backend
    assert (notes, lines) == ((1, 0) if where == "notebook" else (0, 1))


@pytest.mark.parametrize("kind", ["Client", "AsyncClient"])
def test_the_no_limit_warning_points_at_the_line_that_made_the_client(
    tmp_path: Path, paid_notebook: list, kind: str
) -> None:
    """The warning names the notebook cell (here: this file), not a line inside lumakit."""
    import lumakit.client as client_module

    make = getattr(client_module, kind)
    with pytest.warns(UserWarning, match="nothing limits what it spends") as caught:
        client = make(cache_dir=tmp_path / "a", backend="runware")
    (warning,) = [w for w in caught if "nothing limits" in str(w.message)]
    assert warning.filename == __file__
    if kind == "Client":
        client.close()


def test_each_note_is_drawn_in_one_colour_the_billed_one_in_lumakits_amber() -> None:
    """The local note is blue, the billed Runware note the amber the preview mark uses (``_preview`` owns it);
    each box's background is its bar's colour, faint, so the two never mix."""
    import re

    from lumakit._preview import PREVIEW_COLOR

    def colours(page: str) -> tuple[str, str]:
        style = re.search(r'class="lumakit-notice" style="([^"]*)"', page)
        assert style is not None, page
        bar = re.search(r"border-left:4px solid (#[0-9a-f]{6})", style.group(1))
        back = re.search(r"background:rgba\((\d+),(\d+),(\d+),0\.07\)", style.group(1))
        assert bar is not None and back is not None, style.group(1)
        return bar.group(1), "#" + "".join(f"{int(c):02x}" for c in back.groups())

    assert colours(_notice.runware_notice_html(URL, "RUNWARE_API_KEY", None)) == (PREVIEW_COLOR,) * 2
    local = colours(_notice.local_notice_html(URL))
    assert local[0] == local[1] != PREVIEW_COLOR
