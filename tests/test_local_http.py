"""The local backend's HTTP layer as pure functions: ``Range`` parsing and the fault phase of a task array."""

from __future__ import annotations

import pytest

from lumakit.local.http_handler import ByteRange, parse_range, request_phase

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=100-199", ByteRange(100, 199, partial=True)),
        ("bytes=0-0", ByteRange(0, 0, partial=True)),
        ("bytes=100-", ByteRange(100, 999, partial=True)),
        ("bytes=900-5000", ByteRange(900, 999, partial=True)),  # the end is clamped to the file
        ("bytes=-50", ByteRange(950, 999, partial=True)),  # the last 50 bytes
        ("bytes=-5000", ByteRange(0, 999, partial=True)),  # more than the file: all of it, as a range
        (" bytes = 10 - 19 ", ByteRange(10, 19, partial=True)),
        ("bytes=999-", ByteRange(999, 999, partial=True)),
    ],
)
def test_one_range_is_served(header: str, expected: ByteRange) -> None:
    got = parse_range(header, SIZE)
    assert got == expected and got is not None and got.length == expected.end - expected.start + 1


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=-", "bytes=abc-def", "items=0-10", "bytes=0-10,20-30", "bytes=200-100"],
)
def test_a_missing_malformed_or_multi_range_header_gets_the_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) == ByteRange(0, SIZE - 1, partial=False)


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-1200", "bytes=5000-", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(header: str) -> None:
    assert parse_range(header, SIZE) is None


def test_an_empty_file() -> None:
    whole = parse_range(None, 0)
    assert whole == ByteRange(0, -1, partial=False) and whole.length == 0
    assert parse_range("bytes=0-", 0) is None


@pytest.mark.parametrize(
    ("tasks", "phase"),
    [
        ([{"taskType": "getResponse"}, {"taskType": "videoInference"}], "submit"),
        ([{"taskType": "getResponse"}, {"taskType": "getResponse"}], "poll"),
        ([{"taskType": "mediaStorage"}], "upload"),
        ([{"taskType": "imageUpload"}], "upload"),
        ([{"taskType": "getTaskDetails"}], None),
        ({"taskType": "videoInference"}, None),  # not an array: refused before any fault applies
        (["junk"], None),
    ],
)
def test_request_phase(tasks: object, phase: str | None) -> None:
    assert request_phase(tasks) == phase
