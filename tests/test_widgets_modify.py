"""ModifyPanel driven without a browser: preview, validation, running in the background, stop, errors.

These use a scripted stand-in client whose timing the test controls (to catch a second click mid-run, or to
stop waiting); ``test_widgets_local.py`` runs the same panels against the real client and local backend.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from lumakit.errors import APIError, RequestError
from lumakit.request import ModifyRequest
from lumakit.widgets import ModifyPanel
from lumakit.widgets._run import StopWaiting

CLIP = {"fps": 24}  # the shape of the shared `clip` fixture (conftest.py)


@pytest.fixture
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


class FakeResult(SimpleNamespace):
    def __repr__(self) -> str:
        return f"FakeResult({self.task_uuid})"


class ScriptedClient:
    """Stands in for lk.Client: records calls, reports updates, and waits on `gate` before finishing."""

    backend = "scripted"

    def __init__(self, result_path: Path, *, fail: BaseException | None = None) -> None:
        self.calls: list[tuple] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.result_path = result_path
        self.fail = fail

    def modify(self, source, prompt, *, on_update=None, **options):
        self.calls.append((source, prompt, options))
        uuid = f"1111111{len(self.calls)}-2222-4333-8444-555555555555"

        def upd(status, p=None, cost=None):
            fields = dict(task_uuid=uuid, label=None, progress=p, elapsed=0.5, cost=cost, message="")
            on_update(SimpleNamespace(status=status, **fields))

        upd("submitted")
        self.started.set()
        while not self.gate.wait(0.02):
            upd("processing", 0.4)
        if self.fail is not None:
            raise self.fail
        upd("done", 1.0, 0.54)
        req = ModifyRequest(video=source, prompt=prompt, **options)
        return FakeResult(
            path=self.result_path, video_url=None, video_uuid=f"v-{uuid}", task_uuid=uuid, cost=0.54,
            cached=False, request=req, backend="scripted", seconds=0.1,
        )  # fmt: skip


def test_repr_is_short_and_stable(clip):
    panel = ModifyPanel(ScriptedClient(clip), source=str(clip), prompt="glass", strength="flex_2")
    assert repr(panel) == f"ModifyPanel(source={str(clip)!r}, strength='flex_2', backend='scripted')"
    panel.auto_controls = True
    assert repr(panel) == f"ModifyPanel(source={str(clip)!r}, auto_controls=True, backend='scripted')"
    assert panel._repr_mimebundle_()["text/plain"].startswith("ModifyPanel(")


def test_preview_is_the_exact_wire_json_and_follows_every_knob(clip):
    panel = ModifyPanel(ScriptedClient(clip), source=str(clip), prompt="a glass dolphin", strength="flex_2")
    assert panel.request_preview() == {
        "taskType": "videoInference",
        "taskUUID": "00000000-0000-4000-8000-000000000000",
        "model": "luma:ray@3.2",
        "positivePrompt": "a glass dolphin",
        "inputs": {"video": "<upload clip.mp4>"},
        "settings": {"edit": {"strength": "flex_2"}},
        "deliveryMethod": "async",
        "includeCost": True,
    }
    panel.knobs.strength_knob.slider.value = "reimagine_2"  # as the slider would
    panel.controls.units["depth_blur"].use.value = True
    panel.controls.pose.value = "precise"
    edit = {"strength": "reimagine_2", "controls": {"poseStrength": "precise", "depthBlur": 0.5}}
    assert panel.request_preview()["settings"] == {"edit": edit}
    assert '"reimagine_2"' in panel.preview.value and '"depthBlur": 0.5' in panel.preview.value
    panel.auto_controls = True
    assert panel.request_preview()["settings"] == {"edit": {"autoControls": True}}
    assert '"autoControls": true' in panel.preview.value and "reimagine_2" not in panel.preview.value
    panel.auto_controls = False
    assert panel.request_preview()["settings"] == {"edit": edit}
    panel.knobs.strength_knob.use.value = False
    panel.controls.set(None)
    assert "settings" not in panel.request_preview()  # nothing chosen: nothing invented
    panel.source = "https://example.org/clip.mp4"
    assert panel.request_preview()["inputs"] == {"video": "https://example.org/clip.mp4"}
    panel.source_box.value = "5c3e0d4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"  # typed into the box
    assert panel.request_preview()["inputs"] == {"video": "5c3e0d4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"}


@pytest.mark.parametrize(
    ("change", "parameter"),
    [({"prompt": ""}, "prompt"), ({"source": "no/such/clip.mp4"}, "video"), ({"source": None}, "source")],
)
def test_invalid_knobs_show_the_error_and_send_nothing(clip, change, parameter):
    client = ScriptedClient(clip)
    panel = ModifyPanel(client, source=str(clip), prompt="glass")
    for name, value in change.items():
        setattr(panel, name, value)
    with pytest.raises(RequestError) as err:
        panel.request_preview()
    assert err.value.parameter == parameter
    assert "⚠" in panel.preview.value and parameter in panel.preview.value
    panel.generate_button.click()
    assert panel.job is None and client.calls == []
    assert f"RequestError ({parameter})" in panel.error
    assert panel.error in panel.error_line.value.replace("&#x27;", "'")
    assert panel.status_line.value == "nothing was sent"
    with pytest.raises(RequestError):
        panel.run()
    assert client.calls == []


def test_generate_runs_in_background_and_refuses_a_second_click(clip, shell):
    client = ScriptedClient(clip)
    client.gate.clear()
    panel = ModifyPanel(client, source=str(clip), prompt="glass", strength="adhere_3")
    panel.generate_button.click()
    assert client.started.wait(5)  # the click returned while the job runs
    assert panel.running and panel.generate_button.disabled and not panel.stop_button.disabled
    assert panel.task_uuid == "11111111-2222-4333-8444-555555555555"
    panel.generate_button.click()  # a disabled button in the browser; here: refused visibly
    assert "already running (task 11111111-" in panel.error
    assert len(client.calls) == 1
    client.gate.set()
    assert panel.job.wait(10)
    assert not panel.running and not panel.generate_button.disabled and panel.stop_button.disabled
    assert panel.result.task_uuid == "11111111-2222-4333-8444-555555555555"
    assert client.calls[0][2] == {"strength": "adhere_3"}
    assert (panel.progress.value, panel.progress.bar_style, panel.cost_label.value) == (
        100,
        "success",
        "$0.54",
    )
    player = panel.player_box.children[0]
    assert len(player.sources) == 2  # the source next to the result, in one synced player
    assert panel.chain.options[1][1] == 0  # the result can be chained as the next source
    panel.chain.value = 0
    assert panel.source is panel.result
    assert panel.request_preview()["inputs"] == {"video": panel.result.video_uuid}


def test_stop_waiting_keeps_the_task_uuid_and_says_it_still_bills(clip, shell):
    client = ScriptedClient(clip)
    client.gate.clear()
    panel = ModifyPanel(client, source=str(clip), prompt="glass")
    job = panel.start()
    assert client.started.wait(5)
    panel.stop_button.click()
    assert job.wait(5)
    assert isinstance(job.future.exception(), StopWaiting)
    assert panel.result is None and not panel.running
    assert "11111111-2222-4333-8444-555555555555" in panel.status_line.value
    assert "still runs" in panel.status_line.value and "billed" in panel.status_line.value
    assert "client.resume(" in panel.status_line.value


def test_service_errors_show_as_readable_text(clip, shell):
    fail = APIError(
        "strength is not allowed here", code="invalidParameter", parameter="settings.edit.strength"
    )
    panel = ModifyPanel(ScriptedClient(clip, fail=fail), source=str(clip), prompt="glass")
    with pytest.raises(APIError):
        panel.run(timeout=10)
    assert panel.error.startswith("APIError (settings.edit.strength): strength is not allowed here")
    assert panel.progress.bar_style == "danger" and not panel.running
    assert panel.details.outputs == ()  # a known error: its message, no traceback


def test_unexpected_errors_keep_their_traceback_in_the_panel(clip, shell):
    panel = ModifyPanel(ScriptedClient(clip, fail=ZeroDivisionError("boom")), source=str(clip), prompt="g")
    job = panel.start()
    assert job.wait(10)
    assert panel.error == "ZeroDivisionError: boom"
    assert "Traceback" in panel.details.outputs[0]["text"]


def test_finished_result_is_also_a_plain_output(clip, shell):
    panel = ModifyPanel(ScriptedClient(clip), source=str(clip), prompt="glass")
    with capture_output() as captured:
        result = panel.run(timeout=10)
    assert [o.data["text/plain"] for o in captured.outputs] == [repr(result)]


def test_displayed_panel_reserves_a_slot_that_each_result_updates(clip, shell):
    panel = ModifyPanel(ScriptedClient(clip), source=str(clip), prompt="glass")
    with capture_output() as captured:
        panel._ipython_display_()
        panel.generate_button.click()
        assert panel.job.wait(10)
        panel.generate_button.click()
        assert panel.job.wait(10)
    widget, slot, _first, second = captured.outputs
    shown = repr(panel) if len(repr(panel)) <= 110 else repr(panel)[:110] + "…"  # ipywidgets cuts at 110
    assert widget.data["text/plain"] == shown
    assert "application/vnd.jupyter.widget-view+json" in widget.data
    assert slot.data["text/plain"] == ""
    assert second.data["text/plain"] == "\n".join(repr(r) for r in panel.results)
    assert len(panel.results) == 2


def test_grid_toggle_shows_the_frame_grid(clip, shell):
    panel = ModifyPanel(ScriptedClient(clip), source=str(clip), prompt="glass")
    panel.grid_toggle.value = True
    assert "once there is a result" in panel.status_line.value
    panel.run(timeout=10)
    assert panel.grid_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert panel.grid_image.layout.display is None
    panel.grid_toggle.value = False
    assert panel.grid_image.layout.display == "none"


class ScriptedSweepClient(ScriptedClient):
    def sweep(self, source, prompt, *, strengths, on_update=None, **options):
        self.calls.append((source, prompt, dict(options, strengths=strengths)))
        out = {}
        for i, level in enumerate(strengths):
            uuid = f"2222222{i}-2222-4333-8444-555555555555"
            fields = dict(task_uuid=uuid, label=level, elapsed=0.2, message="")
            on_update(SimpleNamespace(status="processing", progress=0.5, cost=None, **fields))
            on_update(SimpleNamespace(status="done", progress=1.0, cost=0.54, **fields))
            out[level] = FakeResult(path=self.result_path, video_uuid=None, video_url=None, task_uuid=uuid,
                                    cost=0.54, request=None)  # fmt: skip
        return out


def test_sweep_panel_presets_levels_and_preview(clip):
    from lumakit.widgets import SweepPanel

    panel = SweepPanel(ScriptedSweepClient(clip), source=str(clip), prompt="glass")
    assert panel.levels == ("adhere_1", "flex_2", "reimagine_3") and panel.preset.value == "one per band"
    assert [t["settings"]["edit"]["strength"] for t in panel.request_preview()] == list(panel.levels)
    panel.preset.value = "all nine"
    assert len(panel.levels) == 9 and all(b.value for b in panel.level_buttons.values())
    panel.level_buttons["flex_1"].value = False  # custom
    assert "flex_1" not in panel.levels and panel.preset.value == "custom"
    panel.levels = ["reimagine_1", "adhere_2"]
    assert panel.levels == ("adhere_2", "reimagine_1")  # dial order
    panel.controls.face = True
    assert panel.request_preview()[0]["settings"]["edit"] == {
        "strength": "adhere_2",
        "controls": {"face": True},
    }
    assert (
        repr(panel)
        == f"SweepPanel(source={str(clip)!r}, levels=['adhere_2', 'reimagine_1'], backend='scripted')"
    )
    with pytest.raises(RequestError, match="not a strength"):
        panel.levels = ["flex_7"]


def test_sweep_panel_runs_levels_with_a_bar_each(clip, shell):
    from lumakit.widgets import SweepPanel

    client = ScriptedSweepClient(clip)
    panel = SweepPanel(client, source=str(clip), prompt="glass")
    with capture_output() as captured:
        runs = panel.run(timeout=30)
    assert list(runs) == ["adhere_1", "flex_2", "reimagine_3"]
    assert client.calls[0][2] == {"strengths": ["adhere_1", "flex_2", "reimagine_3"]}
    bars = [(level, bar.value, bar.bar_style) for level, (bar, _t) in panel.rows.items()]
    assert bars == [(lv, 1.0, "success") for lv in runs]
    assert len(panel.player_box.children[0].sources) == 4  # source + three levels, one synced player
    assert panel.grid_image.value[:4] == b"\x89PNG" and panel.departure_image.value[:4] == b"\x89PNG"
    assert len(captured.outputs) == 1  # the ResultSet as a plain output
    panel.levels = []
    with pytest.raises(RequestError, match="no strength level"):
        panel.run()
    assert len(client.calls) == 1


def test_stop_during_the_upload_says_nothing_was_sent(clip, shell, tmp_path):
    """Stopped before the task reached the service: the panel says nothing was billed (no resume hint)."""
    from _fake_runware import FakeRunware, make_client, stalled_uploads

    fake = FakeRunware()
    transport, uploading = stalled_uploads(fake)
    client = make_client(fake, tmp_path, sync=True, real_time=True, transport=transport)
    try:
        panel = ModifyPanel(client, source=str(clip), prompt="glass", strength="adhere_1")
        job = panel.start()
        assert uploading.wait(10) and panel.task_uuid
        panel.stop_button.click()
        assert job.wait(10) and not panel.running and panel.result is None
        assert "was sent: nothing was submitted or billed" in panel.status_line.value
        assert "client.resume(" not in panel.status_line.value
        assert fake.posts("videoInference") == []
    finally:
        client.close()
