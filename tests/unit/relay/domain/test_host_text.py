"""Host fields as the relay stores and shows them: a hostname, user or role that is not
well formed, whatever class of character makes it so, becomes "(not shown)"; a
well-formed one is kept as sent; the client loses hidden characters; lengths capped."""

from __future__ import annotations

import pytest

from awslogin_protocol.messages import MAX_HOST_CLIENT, NOT_SHOWN
from awslogin_relay.domain.host_text import shown_client, shown_hostname, shown_role, shown_user
from awslogin_relay.domain.text import stripped
from tests.support.harmless_text import HIDDEN, MALFORMED

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("inside", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_hostname_or_user_with_each_class_is_not_shown(inside: str) -> None:
    assert shown_hostname(f"gpu{inside}box-3") == NOT_SHOWN
    assert shown_user(f"al{inside}ice") == NOT_SHOWN
    assert shown_role(f"dev{inside}ops") == NOT_SHOWN


@pytest.mark.parametrize(
    "name",
    ["gpu-box-3", "gpu-box-3.corp.example", "ip-10-0-4-7.eu-west-1.compute.internal",
     "xn--zrich-kva.example", "10.0.4.7", "2001:db8::7", "DESKTOP_4F2A"],
)  # fmt: skip
def test_well_formed_hostnames_are_kept_as_sent(name: str) -> None:
    assert shown_hostname(name) == name


@pytest.mark.parametrize("name", ["alice", "ci-runner", "svc_deploy", "first.last", "HOST01$"])
def test_well_formed_user_names_are_kept_as_sent(name: str) -> None:
    assert shown_user(name) == name


@pytest.mark.parametrize(
    "role",
    ["dev", "arn:aws:iam::123456789012:role/dev", "arn:aws:iam::123456789012:role/team/a/dev",
     "arn:aws-us-gov:iam::123456789012:role/dev", "AdministratorAccess in account 123456789012"],
)  # fmt: skip
def test_well_formed_roles_are_kept_as_sent(role: str) -> None:
    assert shown_role(role) == role


def test_an_absent_user_or_role_stays_absent() -> None:
    assert shown_user("") == ""
    assert shown_role("") == ""


@pytest.mark.parametrize(
    "text", ["-rf", "gpu-.example", "a..b", "gpu-box-3.", "a" * 64 + ".example", "fe80::1%eth0"]
)
def test_names_that_are_not_dns_names_nor_addresses_are_not_shown(text: str) -> None:
    assert shown_hostname(text) == NOT_SHOWN


@pytest.mark.parametrize("inside", HIDDEN.values(), ids=HIDDEN.keys())
def test_client_loses_each_hidden_character(inside: str) -> None:
    cleaned = shown_client(f"awslogin/{inside}0.1")
    expected = "awslogin/[2J0.1" if inside.startswith("\x1b") else "awslogin/0.1"
    if inside.isspace():
        expected = "awslogin/ 0.1"
    assert cleaned == expected
    assert cleaned.isprintable()


def test_client_whitespace_becomes_single_spaces() -> None:
    sent = "  awslogin/0.1\t(Linux;\n\u2028Python)  "
    assert shown_client(sent) == "awslogin/0.1 (Linux; Python)"


def test_client_is_cut_to_its_cap_and_says_it_cut() -> None:
    assert len(shown_client("a" * (MAX_HOST_CLIENT + 50))) == MAX_HOST_CLIENT
    assert shown_client("a" * (MAX_HOST_CLIENT + 1)).endswith("\u2026")
    assert stripped("a" * 12, 12) == "a" * 12
    assert stripped("a" * 13, 12) == "a" * 11 + "\u2026"
    assert stripped("a\u200bb", 12) == "ab"
