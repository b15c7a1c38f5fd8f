"""One JSON line per pairing event, for people who must answer "who signed in where".

Modelled on CloudTrail records: `eventName` follows the AWS sign-in events
(AuthorizeOAuth2Access when the browser side acts, CreateOAuth2Token when the host
collects), and `awslogin.action` names the pairing step precisely. Only identifiers
that are public anyway (pairing id, host name) and request metadata appear; never a
code, state, token, key or sealed result, and of a host's report only its outcome word
(signed_in, failed), never the account, role or reason it holds.

It lives in the domain because its records are the domain's events about a `Pairing`;
the logger keeps the name operators filter on, `awslogin_relay.audit` (docs/protocol.md).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from awslogin_relay.domain.pairing import Pairing

AUDIT_LOGGER = "awslogin_relay.audit"  # a name operators use: not the module's
_log = logging.getLogger(AUDIT_LOGGER)

_EVENT_NAMES = {
    "created": "StartOAuth2Pairing",
    "confirmed": "AuthorizeOAuth2Access",
    "authorized": "AuthorizeOAuth2Access",
    "denied": "AuthorizeOAuth2Access",
    "refused": "AuthorizeOAuth2Access",  # a browser that did not confirm the pairing
    "collected": "CreateOAuth2Token",  # each delivery of the result to its host
    "acknowledged": "CreateOAuth2Token",  # the host opened it; the relay dropped it
    "reported": "ReportOAuth2Outcome",  # how the host's login ended
    "expired": "ExpireOAuth2Pairing",
    "cancelled": "CancelOAuth2Pairing",
}


def audit(
    action: str,
    pairing: Pairing | None,
    *,
    pairing_id: str | None = None,
    address: str,
    user_agent: str,
    outcome: str = "success",
    error: str | None = None,
) -> None:
    record: dict[str, Any] = {
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "eventSource": "awslogin-relay",
        "eventName": _EVENT_NAMES[action],
        "awslogin": {
            "action": action,
            "pairingId": pairing.pairing_id if pairing else pairing_id,
            "mode": str(pairing.mode) if pairing else None,
            "hostName": pairing.host.hostname if pairing else None,
            "hostUser": pairing.host.user if pairing else None,
            "hostClient": pairing.host.client if pairing else None,
        },
        "sourceIPAddress": address,
        "userAgent": user_agent[:256],
        "outcome": outcome,
    }
    if error:
        record["errorCode"] = error
    _log.info(json.dumps(record, separators=(",", ":")))
