"""The relay's rule for text that is only read, `stripped`, on the table the CLI's
`one_line` shares (tests/support/harmless_text.py)."""

from __future__ import annotations

import pytest

from awslogin_relay.domain.text import stripped
from tests.support.harmless_text import CASES, HarmlessCase

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_stripped_removes_every_hidden_character(case: HarmlessCase) -> None:
    assert stripped(case.raw, case.limit) == case.stripped


def test_a_cut_says_it_cut() -> None:
    assert stripped("a" * 12, 12) == "a" * 12
    assert stripped("a" * 13, 12) == "a" * 11 + "\u2026"
    assert stripped("a\u200bb", 12) == "ab"
