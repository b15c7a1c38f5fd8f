"""The relay's two rules for text made harmless, `escaped` and `stripped`, on the table the
CLI's `one_line` shares (tests/support/harmless_text.py), and cuts between whole escapes."""

from __future__ import annotations

import pytest

from awslogin_relay.domain.text import escaped, stripped
from tests.support.harmless_text import CASES, HarmlessCase

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_escaped_shows_every_hidden_character(case: HarmlessCase) -> None:
    assert escaped(case.raw, case.limit) == case.relay_escaped


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_stripped_removes_every_hidden_character(case: HarmlessCase) -> None:
    assert stripped(case.raw, case.limit) == case.stripped


def test_where_the_relay_and_the_cli_differ_the_table_says_why() -> None:
    unexplained = [c.name for c in CASES if (c.escaped is None) != (c.differs == "")]
    assert unexplained == []
    assert all(c.escaped != c.shown for c in CASES if c.escaped is not None)


def test_a_cut_never_splits_an_escape_and_says_it_cut() -> None:
    cut = escaped("ab" + "\u202e" * 10, 12)
    assert cut == "ab\\u202e" + "\u2026"
    assert escaped("a" * 12, 12) == "a" * 12
    assert escaped("a" * 13, 12) == "a" * 11 + "\u2026"
    assert stripped("a\u200bb", 12) == "ab"
