"""Host fields as the relay stores and shows them: every class of character that could
hide or disguise text is escaped (hostname, user) or removed (client), lengths capped."""

from __future__ import annotations

import pytest

from awslogin_protocol.messages import MAX_HOST_CLIENT, MAX_HOST_USER, MAX_HOSTNAME
from awslogin_relay.domain.host_text import shown_client, shown_hostname, shown_user
from tests.support.harmless_text import HIDDEN

pytestmark = pytest.mark.unit


# One example of each class, with the escape a person sees instead.


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
