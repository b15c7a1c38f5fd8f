"""Scanning the QR code that the host drew in its terminal, as a phone camera would.

The host draws two module rows per text line with half blocks, light modules as ink.
Reading it back means: turn the characters into the module matrix, paint the picture a
dark terminal shows (ink light, background dark, and the terminal's dark background
all around, so the code's own 1-module border is the only light quiet zone), and hand
that picture to a real decoder (zxing-cpp). The test therefore fails if the drawing is
not a QR code a scanner reads, not merely if it differs from our own rendering.
"""

from __future__ import annotations

from collections.abc import Sequence

# Each character: (upper module is ink, lower module is ink).
_HALVES = {
    "\u2588": (True, True),
    "\u2580": (True, False),
    "\u2584": (False, True),
    " ": (False, False),
}
_INK = 255  # a dark terminal's foreground
_BACKGROUND = 0  # and its background
_PIXELS_PER_MODULE = 6
_MARGIN_MODULES = 4  # terminal background around the drawing


class NotAQrCode(AssertionError):
    """The drawing does not decode to exactly one QR code."""


def ink_matrix(rows: Sequence[str]) -> list[list[bool]]:
    """Module rows (True = ink) from half-block text rows of equal width."""
    if not rows or len({len(row) for row in rows}) != 1:
        raise NotAQrCode(f"the QR rows are missing or ragged: widths {[len(r) for r in rows]}")
    matrix: list[list[bool]] = []
    for row in rows:
        unknown = set(row) - set(_HALVES)
        if unknown:
            raise NotAQrCode(f"unexpected characters in the QR code: {sorted(unknown)!r}")
        matrix.append([_HALVES[char][0] for char in row])
        matrix.append([_HALVES[char][1] for char in row])
    return matrix


def terminal_picture(matrix: Sequence[Sequence[bool]]) -> tuple[bytes, int, int]:
    """A grayscale picture (bytes, width, height) of the drawing on a dark terminal."""
    scale, margin = _PIXELS_PER_MODULE, _MARGIN_MODULES
    width = (len(matrix[0]) + 2 * margin) * scale
    height = (len(matrix) + 2 * margin) * scale
    pixels = bytearray([_BACKGROUND]) * (width * height)
    ink_run = bytes([_INK]) * scale
    for y, row in enumerate(matrix):
        for x, ink in enumerate(row):
            if not ink:
                continue
            for dy in range(scale):
                start = ((y + margin) * scale + dy) * width + (x + margin) * scale
                pixels[start : start + scale] = ink_run
    return bytes(pixels), width, height


def decode_terminal_qr(rows: Sequence[str]) -> str:
    """The text of the one QR code drawn in `rows`."""
    import zxingcpp

    pixels, width, height = terminal_picture(ink_matrix(rows))
    image = memoryview(pixels).cast("B", (height, width))
    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(image, formats=only_qr, try_invert=False)
    if len(found) != 1:
        raise NotAQrCode(f"expected one QR code in the terminal drawing, found {len(found)}")
    return str(found[0].text)


def qr_rows_after(lines: Sequence[str], url_line: int, indent: str = "      ") -> list[str]:
    """The drawn rows that follow the printed URL, without the terminal indentation."""
    rows = []
    for line in lines[url_line + 1 :]:
        body = line.removeprefix(indent)
        if body == line or not body or set(body) - set(_HALVES):
            break
        rows.append(body)
    return rows
