"""The host fields' rules, which the relay applies and the host follows: what a
well-formed hostname, user and role are, and that the wire refuses only their length
(any other value reaches the relay, which shows it as "(not shown)")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from awslogin_protocol.messages import (
    MAX_HOST_USER,
    MAX_HOSTNAME,
    MAX_ROLE,
    HostDescription,
    well_formed_host_user,
    well_formed_hostname,
    well_formed_role,
    well_formed_role_name,
)
from tests.support.harmless_text import MALFORMED

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "name",
    ["gpu-box-3.corp.example", "localhost", "a", "xn--zrich-kva.example", "10.0.4.7",
     "::1", "2001:db8::7", "::ffff:10.0.4.7", "a" * 63 + ".example", "DESKTOP_4F2A"],
)  # fmt: skip
def test_dns_names_and_ip_addresses_are_well_formed_hostnames(name: str) -> None:
    assert well_formed_hostname(name)


@pytest.mark.parametrize(
    "name",
    ["", "-gpu", "gpu-", "gpu-box-3.", ".gpu", "a..b", "a" * 64, "fe80::1%eth0",
     "fe80::1%\u202e", "2001:db8::7::1", "10.0.4.7\n", ("a" * 62 + ".") * 5],
)  # fmt: skip
def test_other_names_are_not_well_formed_hostnames(name: str) -> None:
    assert not well_formed_hostname(name)


@pytest.mark.parametrize("inside", MALFORMED.values(), ids=MALFORMED.keys())
def test_each_class_of_character_makes_a_field_not_well_formed(inside: str) -> None:
    assert not well_formed_hostname(f"gpu{inside}box")
    assert not well_formed_host_user(f"al{inside}ice")
    assert not well_formed_role(f"arn:aws:iam::123456789012:role/dev{inside}ops")
    assert not well_formed_role(f"dev{inside}ops in account 123456789012")
    assert not well_formed_role_name(f"dev{inside}ops")


@pytest.mark.parametrize("name", ["alice", "_svc", "first.last", "ci-runner", "HOST01$", "a" * 64])
def test_posix_user_names_are_well_formed(name: str) -> None:
    assert well_formed_host_user(name)


@pytest.mark.parametrize("name", ["", "-x", "a$b", "DOMAIN\\alice", "alice@corp", "a" * 65])
def test_other_user_names_are_not_well_formed(name: str) -> None:
    assert not well_formed_host_user(name)


@pytest.mark.parametrize(
    "role",
    ["dev", "dev+ops=a,b.c@d", "arn:aws:iam::123456789012:role/dev",
     "arn:aws-cn:iam::123456789012:role/service-role/a/dev",
     "Admin in account 123456789012"],
)  # fmt: skip
def test_role_names_arns_and_identity_center_roles_are_well_formed(role: str) -> None:
    assert well_formed_role(role)


@pytest.mark.parametrize(
    "role",
    ["", "r" * 65, "arn:aws:iam::12345:role/dev", "arn:aws:sts::123456789012:role/dev",
     "arn:aws:iam::123456789012:user/dev", "Admin in account 1234",
     "arn:aws:iam::123456789012:role/" + "p/" * 320 + "dev"],
)  # fmt: skip
def test_other_roles_are_not_well_formed(role: str) -> None:
    assert not well_formed_role(role)


def test_the_wire_takes_any_text_within_the_lengths() -> None:
    """A host that sends an odd name still gets its pairing: the relay does not show it."""
    odd = HostDescription(hostname="gpu\u202ebox 3", user="Alice Smith", role="dev\x1b ops")
    assert odd.hostname == "gpu\u202ebox 3"
    for field, cap in (("hostname", MAX_HOSTNAME), ("user", MAX_HOST_USER), ("role", MAX_ROLE)):
        base = {"hostname": "gpu-box-3"}
        with pytest.raises(ValidationError):
            HostDescription.model_validate(base | {field: "a" * (cap + 1)})
    with pytest.raises(ValidationError):
        HostDescription(hostname="")


def test_the_schema_says_what_is_shown() -> None:
    schema = HostDescription.model_json_schema()["properties"]
    assert "DNS name or an IP address" in schema["hostname"]["description"]
    assert "POSIX" in schema["user"]["description"]
    for field in ("hostname", "user", "role"):
        assert "(not shown)" in schema[field]["description"]
        assert "pattern" not in schema[field]


def test_a_reported_role_is_a_role_name_only() -> None:
    assert well_formed_role_name("dev+ops=a,b.c@d_e-f")
    assert well_formed_role_name("r" * 64)
    for role in ("", "r" * 65, "arn:aws:iam::123456789012:role/dev", "dev in account 123456789012"):
        assert not well_formed_role_name(role)
