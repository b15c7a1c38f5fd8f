"""What the host says about itself to the relay: an odd machine never stops the login.

The description is sent as the machine has it, cut to the protocol's lengths, so the
relay always takes it (it shows an odd name as "(not shown)"); a role that is not well
formed is left out."""

from __future__ import annotations

import pytest

from awslogin.flows import relay as relay_module
from awslogin_protocol.messages import MAX_HOST_USER, MAX_HOSTNAME, HostDescription

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("hostname", "user"),
    [
        ("gpu\u202e3-xob", "al ice"),
        ("Zürich-Büro " * 40, "DOMAIN\\Alice Smith, the admin " * 5),
        ("", "alice"),
    ],
)
def test_an_odd_hostname_or_user_still_makes_a_description_the_relay_takes(
    monkeypatch: pytest.MonkeyPatch, hostname: str, user: str
) -> None:
    monkeypatch.setattr(relay_module.socket, "gethostname", lambda: hostname)
    monkeypatch.setattr(relay_module.getpass, "getuser", lambda: user)
    sent = relay_module.host_description()
    taken = HostDescription.model_validate(sent.model_dump())  # as the relay parses it
    assert taken.hostname == (hostname[:MAX_HOSTNAME] or "(not shown)")
    assert taken.user == user[:MAX_HOST_USER]


def test_well_formed_fields_are_sent_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module.socket, "gethostname", lambda: "gpu-box-3.corp.example")
    monkeypatch.setattr(relay_module.getpass, "getuser", lambda: "alice")
    role = "arn:aws:iam::123456789012:role/dev"
    sent = relay_module.host_description(role)
    assert (sent.hostname, sent.user, sent.role) == ("gpu-box-3.corp.example", "alice", role)


@pytest.mark.parametrize("role", ["dev\u202eops", "dev ops", "r" * 700, "arn:aws:iam::1:role/x"])
def test_a_role_that_is_not_well_formed_is_left_out(role: str) -> None:
    assert relay_module.host_description(role).role == ""
