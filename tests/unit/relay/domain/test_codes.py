"""Identifiers, user codes and their normalization."""

from __future__ import annotations

import pytest

from awslogin_relay.domain import codes

pytestmark = pytest.mark.unit


def test_user_codes_use_the_unambiguous_alphabet() -> None:
    seen = {codes.new_user_code() for _ in range(200)}
    assert len(seen) == 200
    for code in seen:
        assert len(code) == 8
        assert set(code) <= set("BCDFGHJKLMNPQRSTVWXZ")
    assert codes.format_user_code("BDKMTRWX") == "BDKM-TRWX"


@pytest.mark.parametrize("typed", ["bdkm-trwx", "BDKM TRWX", " bdkmtrwx ", "Bd-Km-Tr-Wx"])
def test_user_code_normalization(typed: str) -> None:
    assert codes.normalize_user_code(typed) == "BDKMTRWX"


@pytest.mark.parametrize(
    "typed",
    [
        *("", "BDKM-TRW", "BDKM-TRWXX", "BDKM-TRW0", "AEIO-UBCD", "ßDKM-TRWX", "BDKM-TRWX\n"),
        *("ßßßß", "\u017fdkm-trwx"),  # non-ASCII letters whose upper case is ASCII (SS, S)
    ],
)
def test_user_code_normalization_refuses(typed: str) -> None:
    assert codes.normalize_user_code(typed) is None


def test_pairing_ids_and_poll_tokens() -> None:
    ids = {codes.new_pairing_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(codes.is_pairing_id(i) for i in ids)
    assert not codes.is_pairing_id("short")
    assert not codes.is_pairing_id("ééééééééééé1")
    token = codes.new_poll_token()
    assert len(token) >= 43
    stored = codes.hash_poll_token(token)
    assert len(stored) == 64
    assert token not in stored
    assert codes.poll_token_matches(token, stored)
    assert not codes.poll_token_matches(token + "x", stored)


def test_match_numbers_are_two_digits_among_two_distinct_decoys_in_any_order() -> None:
    draws = [codes.new_match_numbers() for _ in range(3000)]
    for right, choices in draws:
        assert len(choices) == 3
        assert len(set(choices)) == 3
        assert right in choices
        assert all(10 <= n <= 99 for n in choices)
    # each place in the page's order holds the right number about a third of the time
    # (1000 expected in each; below 850 or above 1150 has a chance under 1e-6)
    places = [choices.index(right) for right, choices in draws]
    assert all(850 < places.count(i) < 1150 for i in range(3))
    # and an onlooker who always picks the smallest, the middle or the largest number
    # wins a third of the time too: the decoys do not give the right one away by value
    ranks = [sorted(choices).index(right) for right, choices in draws]
    assert all(850 < ranks.count(i) < 1150 for i in range(3))
    assert len({right for right, _ in draws}) == 90  # the whole range is drawn
