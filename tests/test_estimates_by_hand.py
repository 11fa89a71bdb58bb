"""``client.estimate()`` of the README's and notebooks' work prints the prices the table gives by hand.

By hand, from Runware's list (lumakit/pricing.py, runware-ray32.md section 7):
- assets/dolphin.mp4 is 3.5 s at 640x360. An edit without ``resolution`` is priced at the higher of 720p
  and its source's tier (720p), and a source of at most 5 s pays the 5 s price: $1.08 a level, nine $9.72.
- notebook 08: text-to-video 360p 5 s $0.06; image-to-video 360p 5 s $0.06 (first frame) and $0.06 (first and
  last frames); the "stormy" edit of the 5.0 s image-to-video result: the 5 s price at 720p, $1.08.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import lumakit as lk
from lumakit.client import Client, PollPolicy
from lumakit.local import LocalServer

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DOLPHIN_PROMPT = "Transform only the dolphin into a creature of glass and neon light, the ocean left natural"
FAST = PollPolicy(initial_delay=0.05, interval=0.05, max_interval=0.2)

EDIT_5S_720P = 1.08  # by hand: the 720p column of "edit, 5 s / 10 s of source"
T2V_5S_360P = 0.06  # by hand: the 360p column of "text/image-to-video, 5 s"


@pytest.fixture
def client(tmp_path):
    with LocalServer(tmp_path / "server") as server:
        c = Client(
            backend="local", base_url=server.url, cache_dir=tmp_path / "cache", progress=False, poll=FAST
        )
        try:
            yield c
        finally:
            c.close()


def test_the_nine_level_sweep_of_the_dolphin_is_nine_5_s_edits_at_720p(client) -> None:
    est = client.estimate(client.plan_sweep(str(ASSETS / "dolphin.mp4"), DOLPHIN_PROMPT))
    print(est)
    assert [ln.label for ln in est.lines] == list(lk.request.STRENGTHS)
    assert [ln.amount for ln in est.lines] == [EDIT_5S_720P] * 9  # the local backend's tariff
    assert all(
        ln.detail == f"local tariff; table says ${EDIT_5S_720P:.2f}" for ln in est.lines
    )  # the client's
    assert est.total == pytest.approx(9 * EDIT_5S_720P) and repr(est).startswith("Estimate $9.72 for 9 jobs")


def test_notebook_08_jobs_cost_what_the_table_says(client) -> None:
    frame, last = str(ASSETS / "frame.png"), str(ASSETS / "frame_last.png")
    text = "A lighthouse on a rocky cliff at dawn, waves breaking below, gulls circling the lamp"
    motion = "The lighthouse lamp turns on, its beam sweeping across the sea as the sun rises"
    day = "A full day passes over the lighthouse, clouds racing, light turning from dawn gold to dusk violet"
    jobs = {
        "from_text": lk.GenerateRequest(prompt=text, resolution="360p", duration=5),
        "from_image": lk.GenerateRequest(prompt=motion, image=frame, resolution="360p"),
        "both_ends": lk.GenerateRequest(prompt=day, image=frame, last_image=last, resolution="360p"),
    }
    est = client.estimate(jobs)
    print(est)
    assert {ln.label: ln.amount for ln in est.lines} == {k: T2V_5S_360P for k in jobs}
    assert est.total == pytest.approx(3 * T2V_5S_360P)

    from_image = client.generate(motion, image=frame, resolution="360p")
    stormy = lk.ModifyRequest(from_image, "The same scene in a violent storm, rain lashing the glass",
                              strength="adhere_3")  # fmt: skip
    est = client.estimate({"stormy": stormy})
    print(est)
    assert [ln.amount for ln in est.lines] == [EDIT_5S_720P]
    assert from_image.cost == T2V_5S_360P
