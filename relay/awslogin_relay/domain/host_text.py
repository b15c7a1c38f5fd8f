"""What a host says about itself, made harmless to show, once, when a pairing is created.

`hostname`, `user`, `role` and `client` come from whoever calls `POST /v1/pairings`.
Cleaned before they are stored, they are harmless on every page, in every audit line
and in whatever later reads the store (docs/security.md#what-the-pages-show).

How, per field:

* `hostname`, `user` and `role` (and the role name of a reported sign-in) are shown
  **as sent when well formed** (a DNS name or an
  IP address, a POSIX-style user name, an IAM role name or ARN: the protocol's rules),
  and **replaced by "(not shown)"** otherwise. The person decides from
  ``user@hostname`` whether this is their terminal, so these fields show either the
  machine's own name or nothing of it: a well-formed value has no character that could
  hide or reorder text, or say a sentence, and "(not shown)" says that the host sent
  something else. The pairing is never refused for it: a machine with an odd name
  still logs in (docs/protocol.md, "Host fields").
* `client` is **stripped** (`domain.text`): it names the host's software
  (``awslogin/0.1.0``) for the audit log and diagnostics, and nobody decides anything
  from it, so a short, readable value matters more than a faithful one.
"""

from __future__ import annotations

from awslogin_protocol.messages import (
    MAX_HOST_CLIENT,
    NOT_SHOWN,
    well_formed_host_user,
    well_formed_hostname,
    well_formed_role,
    well_formed_role_name,
)
from awslogin_relay.domain.text import stripped


def shown_hostname(text: str) -> str:
    return text if well_formed_hostname(text) else NOT_SHOWN


def shown_user(text: str) -> str:
    """An empty user (the host did not say) stays empty; the page then shows no name."""
    return text if not text or well_formed_host_user(text) else NOT_SHOWN


def shown_role(text: str) -> str:
    """An empty role (the host does not know it before the sign-in) stays empty."""
    return text if not text or well_formed_role(text) else NOT_SHOWN


def shown_role_name(text: str | None) -> str | None:
    """The role name of a reported sign-in, by the same rule: None when not reported."""
    return text if text is None or well_formed_role_name(text) else NOT_SHOWN


def shown_client(text: str) -> str:
    return stripped(text, MAX_HOST_CLIENT)
