"""QR codes drawn in the terminal with half blocks, two module rows per text line.

Light modules are drawn as ink (like `qrencode -t UTF8`), so on the usual dark terminal
the code shows dark-on-light as scanners expect. A short relay URL (version 2-3, 25-29
modules, quiet zone 1) makes about 31 columns by 16 lines: it fits an 80x24 terminal with
the URL and user code around it.
"""

from __future__ import annotations

_BLOCKS = {
    (True, True): "\u2588",
    (True, False): "\u2580",
    (False, True): "\u2584",
    (False, False): " ",
}


def render_half_blocks(text: str) -> str:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=1)
    code.add_data(text)
    code.make(fit=True)
    light = [[not dark for dark in row] for row in code.get_matrix()]
    if len(light) % 2:
        light.append([True] * len(light[0]))
    lines = []
    for top, bottom in zip(light[0::2], light[1::2], strict=True):
        lines.append("".join(_BLOCKS[(t, b)] for t, b in zip(top, bottom, strict=True)))
    return "\n".join(lines)


def can_draw(encoding: str | None) -> bool:
    """Whether a stream with this encoding can show the block characters."""
    try:
        "".join(_BLOCKS.values()).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
