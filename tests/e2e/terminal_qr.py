"""Scanning the QR code that the host drew in its terminal, as a phone camera would.

What the host printed (escape sequences included) goes through a terminal emulator
(pyte), and the screen it ends up with is painted the way a terminal with a given colour
theme paints it: each cell's background, then its character in its foreground colour
(half blocks exactly, any other character as a glyph-sized blot, so that text around the
code is there too). A real decoder (zxing-cpp) then reads that picture, with inversion
off as many phone cameras have it. A test therefore fails if the drawing is not a QR
code a scanner reads on that terminal, not merely if it differs from our own rendering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyte
from PIL import Image, ImageDraw

Rgb = tuple[int, int, int]

_CELL_WIDTH = 8  # pixels: a half block is then a square module of 8x8
_CELL_HEIGHT = 16
_PADDING = 8  # the window's own margin, in the background colour


@dataclass(frozen=True)
class Theme:
    """A terminal's colours: its default text and background, and its ANSI palette."""

    name: str
    foreground: Rgb
    background: Rgb
    palette: Mapping[str, Rgb]


_XTERM = {"black": (0, 0, 0), "white": (229, 229, 229)}
LIGHT = Theme("light", foreground=(0, 0, 0), background=(255, 255, 255), palette=_XTERM)
DARK = Theme("dark", foreground=(204, 204, 204), background=(30, 30, 30), palette=_XTERM)
# A theme that remaps the ANSI colours themselves: "black" is a dark teal, "white" beige.
SOLARIZED_DARK = Theme(
    "solarized-dark",
    foreground=(131, 148, 150),
    background=(0, 43, 54),
    palette={"black": (7, 54, 66), "white": (238, 232, 213)},
)
THEMES = (LIGHT, DARK, SOLARIZED_DARK)


class NotAQrCode(AssertionError):
    """The screen does not hold exactly one QR code that decodes."""


def screen_of(output: str | bytes, columns: int, lines: int) -> pyte.Screen:
    """The screen after `output`; str output gets the tty's ONLCR (\\n becomes \\r\\n)."""
    screen = pyte.Screen(columns, lines)
    data = output.replace("\n", "\r\n").encode() if isinstance(output, str) else output
    pyte.ByteStream(screen).feed(data)
    return screen


def _colour(name: str, default: Rgb, theme: Theme) -> Rgb:
    if name == "default":
        return default
    if name not in theme.palette:
        raise NotAQrCode(f"the drawing uses a colour this test has no value for: {name!r}")
    return theme.palette[name]


def screen_picture(screen: pyte.Screen, theme: Theme) -> Image.Image:
    """The screen as `theme` shows it, pixel for pixel."""
    width = screen.columns * _CELL_WIDTH + 2 * _PADDING
    height = screen.lines * _CELL_HEIGHT + 2 * _PADDING
    picture = Image.new("RGB", (width, height), theme.background)
    paint = ImageDraw.Draw(picture)
    half = _CELL_HEIGHT // 2
    for y in range(screen.lines):
        row = screen.buffer[y]
        for x in range(screen.columns):
            char = row[x]
            ink = _colour(char.fg, theme.foreground, theme)
            field = _colour(char.bg, theme.background, theme)
            if char.reverse:
                ink, field = field, ink
            left, top = _PADDING + x * _CELL_WIDTH, _PADDING + y * _CELL_HEIGHT
            right, bottom = left + _CELL_WIDTH - 1, top + _CELL_HEIGHT - 1
            paint.rectangle((left, top, right, bottom), fill=field)
            if char.data == "\u2588":
                paint.rectangle((left, top, right, bottom), fill=ink)
            elif char.data == "\u2580":
                paint.rectangle((left, top, right, top + half - 1), fill=ink)
            elif char.data == "\u2584":
                paint.rectangle((left, top + half, right, bottom), fill=ink)
            elif char.data.strip():
                paint.rectangle((left + 1, top + 5, right - 1, bottom - 3), fill=ink)
    return picture


def decode_qr_codes(picture: Image.Image, *, try_invert: bool = False) -> list[str]:
    """The text of every QR code zxing-cpp finds in `picture`."""
    import zxingcpp

    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(picture.convert("L"), formats=only_qr, try_invert=try_invert)
    return [str(barcode.text) for barcode in found]


def decode_screen(screen: pyte.Screen, theme: Theme, *, try_invert: bool = False) -> str:
    """The text of the one QR code on `screen` as `theme` shows it."""
    found = decode_qr_codes(screen_picture(screen, theme), try_invert=try_invert)
    if len(found) != 1:
        raise NotAQrCode(f"expected one QR code on the {theme.name} screen, found {len(found)}")
    return found[0]


def decode_terminal_qr(rows: Sequence[str], theme: Theme = DARK) -> str:
    """The text of the QR code drawn in `rows` (plain text, as read from a pipe)."""
    if not rows or len({len(row) for row in rows}) != 1:
        raise NotAQrCode(f"the QR rows are missing or ragged: widths {[len(r) for r in rows]}")
    screen = screen_of("\n".join(rows), len(rows[0]) + 8, len(rows) + 4)
    return decode_screen(screen, theme)


def qr_rows_after(lines: Sequence[str], url_line: int, indent: str = "      ") -> list[str]:
    """The drawn rows that follow the printed URL, without the terminal indentation."""
    halves = {"\u2588", "\u2580", "\u2584", " "}
    rows = []
    for line in lines[url_line + 1 :]:
        body = line.removeprefix(indent)
        if body == line or not body or set(body) - halves:
            break
        rows.append(body)
    return rows
