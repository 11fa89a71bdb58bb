"""``lk.samples.path(name)``: the sample clips and stills by name, with a clear error for any other name."""

from __future__ import annotations

import pytest

import lumakit as lk
from lumakit.media import probe

CLIPS = ("dolphin", "face", "street", "violinist")
STILLS = ("frame", "frame_last")


@pytest.mark.parametrize("name", CLIPS)
def test_each_sample_clip_is_a_short_640x360_video(name: str) -> None:
    info = probe(lk.samples.path(name))
    assert (info.width, info.height) == (640, 360)
    assert 3.0 < info.duration < 4.0


@pytest.mark.parametrize("name", STILLS)
def test_each_still_is_a_png(name: str) -> None:
    path = lk.samples.path(name)
    assert path.suffix == ".png" and path.read_bytes().startswith(b"\x89PNG")


def test_names_lists_every_sample() -> None:
    assert lk.samples.names() == (*CLIPS, *STILLS)


@pytest.mark.parametrize("bad", ["Dolphin", "dolphin.mp4", "", None])
def test_an_unknown_name_is_refused_with_the_known_names(bad: object) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.samples.path(bad)  # type: ignore[arg-type]
    assert info.value.parameter == "name"
    assert all(n in str(info.value) for n in (*CLIPS, *STILLS))
