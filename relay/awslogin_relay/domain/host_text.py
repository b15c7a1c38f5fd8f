"""What a host says about itself, made harmless to show, once, when a pairing is created.

`hostname`, `user` and `client` come from whoever calls `POST /v1/pairings`. Cleaned
before they are stored (`domain.text` says what could deceive, and how it is made
harmless), they are harmless on every page, in every audit line and in whatever later
reads the store (docs/security.md#what-the-pages-show).

How, per field:

* `hostname` and `user` are **escaped visibly** (``\\u202e``, ``\\x1b``; a backslash as
  ``\\\\``). The person decides from ``user@hostname`` whether this is their terminal, so
  every character the host sent stays on the page: one that would be invisible or would
  reorder the text shows as an escape, which itself says that something is odd. Removing
  it would show a name the host did not send (``gpu\\u200b-box`` as ``gpu-box``).
* `client` is **stripped**: it names the host's software (``awslogin/0.1.0``) for the
  audit log and diagnostics, and nobody decides anything from it, so a short, readable
  value matters more than a faithful one. Runs of whitespace become one space.

Lengths: the protocol caps each field as sent (a longer one is refused with 422);
escaping makes a value longer, so the result is cut again to the same cap, between two
characters or escapes, and ends with "…" when cut.
"""

from __future__ import annotations

from awslogin_protocol.messages import MAX_HOST_CLIENT, MAX_HOST_USER, MAX_HOSTNAME
from awslogin_relay.domain.text import escaped, stripped


def shown_hostname(text: str) -> str:
    return escaped(text, MAX_HOSTNAME)


def shown_user(text: str) -> str:
    return escaped(text, MAX_HOST_USER)


def shown_client(text: str) -> str:
    return stripped(text, MAX_HOST_CLIENT)
