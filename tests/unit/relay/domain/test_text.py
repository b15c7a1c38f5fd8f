"""Host fields as the relay stores and shows them: every class of character that could
hide or disguise text is escaped (hostname, user) or removed (client), lengths capped."""

from __future__ import annotations

import pytest

from awslogin_relay.domain.text import escaped, stripped

pytestmark = pytest.mark.unit


def test_a_cut_never_splits_an_escape_and_says_it_cut() -> None:
    cut = escaped("ab" + "\u202e" * 10, 12)
    assert cut == "ab\\u202e" + "\u2026"
    assert escaped("a" * 12, 12) == "a" * 12
    assert escaped("a" * 13, 12) == "a" * 11 + "\u2026"
    assert stripped("a\u200bb", 12) == "ab"
