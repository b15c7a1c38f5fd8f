"""Host fields as the relay stores and shows them: every class of character that could
hide or disguise text is escaped (hostname, user) or removed (client), lengths capped."""

from __future__ import annotations

import pytest

from awslogin_protocol.messages import MAX_HOST_CLIENT, MAX_HOST_USER, MAX_HOSTNAME
from awslogin_relay.domain.host_text import shown_client, shown_hostname, shown_user

pytestmark = pytest.mark.unit


# One example of each class, with the escape a person sees instead.
HIDDEN = {
    "NUL": ("\x00", "\\x00"),
    "ESC (a terminal escape sequence)": ("\x1b[2J", "\\x1b[2J"),
    "BEL": ("\x07", "\\x07"),
    "TAB": ("\t", "\\x09"),
    "LF": ("\n", "\\x0a"),
    "CR": ("\r", "\\x0d"),
    "DEL": ("\x7f", "\\x7f"),
    "C1 CSI": ("\x9b", "\\x9b"),
    "NEL": ("\x85", "\\x85"),
    "right-to-left override": ("\u202e", "\\u202e"),
    "left-to-right embedding": ("\u202a", "\\u202a"),
    "right-to-left isolate": ("\u2067", "\\u2067"),
    "pop directional isolate": ("\u2069", "\\u2069"),
    "right-to-left mark": ("\u200f", "\\u200f"),
    "arabic letter mark": ("\u061c", "\\u061c"),
    "zero-width space": ("\u200b", "\\u200b"),
    "zero-width joiner": ("\u200d", "\\u200d"),
    "word joiner": ("\u2060", "\\u2060"),
    "byte order mark": ("\ufeff", "\\ufeff"),
    "soft hyphen": ("\u00ad", "\\xad"),
    "line separator": ("\u2028", "\\u2028"),
    "paragraph separator": ("\u2029", "\\u2029"),
    "no-break space": ("\u00a0", "\\xa0"),
    "ideographic space": ("\u3000", "\\u3000"),
    "hangul filler": ("\u3164", "\\u3164"),
    "combining grapheme joiner": ("\u034f", "\\u034f"),
    "variation selector": ("\ufe0f", "\\ufe0f"),
    "blank braille pattern": ("\u2800", "\\u2800"),
    "tag letter": ("\U000e0041", "\\U000e0041"),
    "private use": ("\ue000", "\\ue000"),
    "unassigned": ("\U0003ffff", "\\U0003ffff"),
}


@pytest.mark.parametrize(("raw", "shown"), HIDDEN.values(), ids=HIDDEN.keys())
def test_hostname_and_user_show_each_hidden_character_as_an_escape(raw: str, shown: str) -> None:
    assert shown_hostname(f"gpu{raw}box") == f"gpu{shown}box"
    assert shown_user(f"al{raw}ice") == f"al{shown}ice"
    assert shown_hostname(f"gpu{raw}box").isascii()


@pytest.mark.parametrize(("raw", "shown"), HIDDEN.values(), ids=HIDDEN.keys())
def test_client_loses_each_hidden_character(raw: str, shown: str) -> None:
    cleaned = shown_client(f"awslogin/{raw}0.1")
    expected = "awslogin/[2J0.1" if raw.startswith("\x1b") else "awslogin/0.1"
    if raw.isspace():
        expected = "awslogin/ 0.1"
    assert cleaned == expected
    assert cleaned.isprintable()


def test_a_backslash_is_escaped_so_that_an_escape_cannot_be_faked() -> None:
    assert shown_hostname("gpu\\u202ebox") == "gpu\\\\u202ebox"
    assert shown_hostname("gpu\u202ebox") == "gpu\\u202ebox"


@pytest.mark.parametrize(
    "text",
    ["gpu-box-3", "ip-10-0-4-7.eu-west-1.compute.internal", "Zürich-Büro", "東京-01", "al ice"],
)
def test_ordinary_names_are_kept_as_sent(text: str) -> None:
    assert shown_hostname(text) == text
    assert shown_user(text) == text
    assert shown_client(text) == text


def test_client_whitespace_becomes_single_spaces() -> None:
    sent = "  awslogin/0.1\t(Linux;\n\u2028Python)  "
    assert shown_client(sent) == "awslogin/0.1 (Linux; Python)"


@pytest.mark.parametrize(
    ("clean", "cap"),
    [(shown_hostname, MAX_HOSTNAME), (shown_user, MAX_HOST_USER), (shown_client, MAX_HOST_CLIENT)],
)
def test_lengths_stay_within_the_protocol_caps(clean: object, cap: int) -> None:
    assert callable(clean)
    for text in ("\u202e" * cap, "a" * cap, "\U000e0041" * cap, "a" * (cap + 50)):
        assert len(clean(text)) <= cap
