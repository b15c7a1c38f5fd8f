"""QR codes drawn in the terminal with half blocks, two module rows per text line.

A terminal's background may be dark or light, and a code drawn in the terminal's own
colours is inverted on one of the two: zxing-cpp, like many phone cameras, reads only
dark modules on a light field unless it is told to try the inverse too. So the coloured
drawing brings its own colours: every row, quiet zone included, is black ink (SGR 30) on
a white field (SGR 47), dark modules as ink, and the colours are reset before each line
ends. The basic eight colours are the ones every colour terminal has; themes remap them,
but keep "black" dark and "white" light.

The plain drawing has no escape sequences (NO_COLOR, TERM=dumb, output that is not a
terminal). Without colours the background cannot be known, so it keeps the polarity
these plain drawings have always had, and `qrencode -t UTF8` too: light modules as ink,
which is right on a dark background and inverted on a light one.

The quiet zone is the 4 modules ISO/IEC 18004 asks for (zxing-cpp reads these codes with
1). A relay link such as https://relay.example.com/p/7Hq2kXbM4vNc (41 bytes, version 3,
29 modules) makes 37 columns by 19 lines.

The functions here are pure (text in, text out): what reaches the terminal is the
caller's to check.
"""

from __future__ import annotations

from dataclasses import dataclass

QUIET_ZONE = 4
_INK_ON_FIELD = "\x1b[30;47m"
_RESET = "\x1b[0m"

# Each character shows (upper module is ink, lower module is ink).
_BLOCKS = {
    (True, True): "\u2588",
    (True, False): "\u2580",
    (False, True): "\u2584",
    (False, False): " ",
}


@dataclass(frozen=True)
class QrDrawing:
    """Text rows to print one under the other, `columns` cells wide (escapes aside)."""

    rows: tuple[str, ...]
    columns: int


def drawn_columns(version: int) -> int:
    """Columns (and module rows) of a drawing of a code of this version, quiet zone included."""
    return 17 + 4 * version + 2 * QUIET_ZONE


def _modules(text: str, max_columns: int) -> list[list[bool]] | None:
    """The module matrix (True = dark), quiet zone included, if it fits `max_columns`."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L
    from qrcode.exceptions import DataOverflowError

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=QUIET_ZONE)
    code.add_data(text)
    try:
        # Only sizes the data (cheap); the matrix is built below if the code fits.
        version = code.best_fit()
    except (DataOverflowError, ValueError):
        # More than a version 40 code holds (qrcode 8 says so with a ValueError).
        return None
    if drawn_columns(version) > max_columns:
        return None
    code.make(fit=False)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def draw_qr(text: str, *, colours: bool, max_columns: int) -> QrDrawing | None:
    """A QR code of `text`, or None when it cannot be drawn in `max_columns`.

    None means the text is too long: its code would be wider than the space given, or
    no QR code holds it at all.
    """
    dark = _modules(text, max_columns)
    if dark is None:
        return None
    ink = dark if colours else [[not module for module in row] for row in dark]
    if len(ink) % 2:
        # The half row under the last one belongs to the light field, so it is ink in
        # the plain drawing and field in the coloured one.
        ink.append([not colours] * len(ink[0]))
    rows = []
    for top, bottom in zip(ink[0::2], ink[1::2], strict=True):
        row = "".join(_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        rows.append(f"{_INK_ON_FIELD}{row}{_RESET}" if colours else row)
    return QrDrawing(rows=tuple(rows), columns=len(ink[0]))


def can_draw(encoding: str | None) -> bool:
    """Whether a stream with this encoding can show the block characters."""
    try:
        "".join(_BLOCKS.values()).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
