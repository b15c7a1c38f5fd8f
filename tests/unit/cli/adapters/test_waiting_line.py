"""The waiting line: the last column left free, shorter forms in narrow panes, time left."""

from __future__ import annotations

import pytest

from awslogin.adapters.waiting_line import format_left, seconds_left, waiting_line

pytestmark = pytest.mark.unit


WAITING = "Waiting for you to sign in..."


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_the_waiting_line_leaves_the_last_column_free(width: int) -> None:
    for left in (0, 59, 581, 3599, 3600, 359_999, None):
        line = waiting_line(WAITING, left, width)
        assert len(line) <= width - 1
        if left is not None:
            assert format_left(left) in line


def test_the_waiting_line_gets_shorter_forms_in_narrow_panes() -> None:
    assert waiting_line(WAITING, 581, 80) == f"  {WAITING} 9:41 left   (Ctrl-C to cancel)"
    assert waiting_line(WAITING, 581, 60) == f"  {WAITING} 9:41 left"
    assert waiting_line(WAITING, 581, 40) == "  Waiting... 9:41 left"
    assert waiting_line(WAITING, 581, 20) == "  9:41 left"
    assert waiting_line(WAITING, 581, 6) == "9:41"
    assert waiting_line(WAITING, 581, 1) == ""
    assert waiting_line(WAITING, None, 40) == f"  {WAITING}"
    assert waiting_line(WAITING, None, 20) == "  Waiting..."
    assert waiting_line(WAITING, 581, None) == f"  {WAITING} 9:41 left   (Ctrl-C to cancel)"


@pytest.mark.parametrize(
    ("deadline", "shown"),
    [
        (float("nan"), None),
        (float("inf"), None),
        (float("-inf"), None),
        (-5.0, 0),
        (125.9, 125),
        (1e300, 359_999),
    ],
)
def test_seconds_left_are_clamped_and_not_finite_is_no_deadline(
    deadline: float, shown: int | None
) -> None:
    assert seconds_left(deadline, 0.0) == shown


def test_time_left_reads_as_a_clock() -> None:
    assert [format_left(s) for s in (0, 9, 581, 3600, 359_999)] == [
        "0:00",
        "0:09",
        "9:41",
        "1:00:00",
        "99:59:59",
    ]
