"""The QR drawing: its own colours reset on every row, and block characters only where the
encoding has them."""

from __future__ import annotations

import pytest

from awslogin.adapters.qr import QUIET_ZONE, can_draw, draw_qr

pytestmark = pytest.mark.unit


URL = "https://relay.example.com/p/7Hq2kXbM4vNc"


def test_the_drawing_brings_its_own_colours_and_resets_them_on_every_row() -> None:
    drawing = draw_qr(URL, colours=True, max_columns=79)
    assert drawing is not None
    assert (drawing.columns, len(drawing.rows)) == (29 + 2 * QUIET_ZONE, 19)
    for row in drawing.rows:
        assert row.startswith("\x1b[30;47m")
        assert row.endswith("\x1b[0m")
        assert row.count("\x1b") == 2
    # The quiet zone: 4 module rows of field above (2 text rows) and 4 columns each side.
    cells = [row.removeprefix("\x1b[30;47m").removesuffix("\x1b[0m") for row in drawing.rows]
    assert cells[0] == cells[1] == " " * 37
    assert all(row[:4] == row[-4:] == "    " for row in cells)


def test_block_characters_need_an_encoding_that_has_them() -> None:
    assert can_draw("utf-8")
    assert not can_draw("ascii")
    assert not can_draw("no-such-codec")
