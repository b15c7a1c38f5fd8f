"""How the Redis store writes a pairing into one Redis string, and reads it back.

Records are newline-separated fields, compact and cheap to rewrite in Lua (the scripts in
`lua/` read and rewrite the text lines; they never parse the compressed body)::

    L \\n expires_at \\n confirmation \\n result JSON|"" \\n [hostname, user_code, state]
      \\n "1" deflate([mode, authorize_url split around "state=<state>", public_key,
                      poll_token_hash, user, client, address, user_agent, created_at,
                      role, match_number, match_choices])
    T \\n reason \\n gone_at \\n [hostname, user_code, state] \\n binding_hash|""
      \\n outcome JSON|""

where `confirmation` is "" (nobody confirmed yet) or ``confirmed_at binding_hash [by]``
(one space each; the hex SHA-256 of the secret held by the browser that confirmed, and
who that was: base64url of the JSON ``[address, browser]``, so it holds no space). A record
written before bindings existed may hold ``confirmed_at`` alone: it counts as unbound,
and the next confirmation binds it. The result is ``[kind, sealed]`` or ``[kind,
sealed, error, error_description]``, and ``[kind, null, error, error_description, 1]``
once the host acknowledged it (the sealed blob is gone). A tombstone keeps the browser
binding and the host's outcome ``[signed_in 0|1, account_id, role, reason]``; one
written before acknowledgements existed ends after its tail. The compressed body (what
no script needs) comes last. No line can hold a raw newline: the JSON parts are
ASCII-escaped and the rest are numbers, hex or reason words.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from awslogin_protocol.messages import PairingMode
from awslogin_relay.domain.pairing import (
    ConfirmedBy,
    GoneReason,
    HostInfo,
    Outcome,
    Pairing,
    PairingResult,
    ResultKind,
    Tombstone,
)
from awslogin_relay.domain.store import StoreError

LIVE = b"L"

# The body of a live record (everything no script reads) is raw deflate with this preset
# dictionary: the boilerplate of authorize URLs then costs almost nothing, which keeps a
# pending pairing under 1 KiB of Redis memory. Records carry the format letter, so a
# future dictionary gets a new letter instead of breaking stored pairings.
_BODY_V1 = "1"
_BODY_DICTIONARY = (
    b'["redirect","paste","https://login.microsoftonline.com/oauth2/v2.0/authorize'
    b"?client_id=&response_type=code&redirect_uri=https%3A%2F%2F%2Fcallback&response_mode=query"
    b"&scope=openid%20profile%20email%20offline_access&state=&nonce="
    b"&code_challenge_method=S256&code_challenge=https://accounts.google.com/o/oauth2/v2/auth"
    b"/oauth2/default/v1/authorize/protocol/openid-connect/auth.okta.com/oauth2/authorize"
    b'.amazoncognito.com","awslogin/0.1.0 (Linux; Python 3.11)",'
)


def encode_live(p: Pairing) -> bytes:
    tail = _json([p.host.hostname, p.user_code, p.state])
    # The state is random (incompressible) and already in the tail: the URL is kept as
    # the text before and after its `state=` value when it has one.
    before, marker, after = p.authorize_url.partition(f"state={p.state}")
    url_parts = [before, after] if marker else [p.authorize_url]
    body = _json(
        [
            p.mode.value,
            url_parts,
            p.public_key,
            p.poll_token_hash,
            p.host.user,
            p.host.client,
            p.host.address,
            p.host.user_agent,
            p.created_at,
            p.host.role,
            p.match_number,
            list(p.match_choices),
        ]
    )
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _BODY_DICTIONARY)
    packed = packer.compress(body.encode()) + packer.flush()
    confirmed = "" if p.confirmed_at is None else repr(p.confirmed_at)
    if p.binding_hash is not None:
        confirmed = f"{confirmed} {p.binding_hash}{encode_confirmed_by(p.confirmed_by)}"
    result = "" if p.result is None else encode_result(p.result, acknowledged=p.acknowledged)
    head = f"L\n{p.expires_at!r}\n{confirmed}\n{result}\n{tail}\n{_BODY_V1}"
    return head.encode() + packed


def encode_confirmed_by(by: ConfirmedBy | None) -> str:
    """What follows the binding hash on the confirmation line: " " and who confirmed,
    or "" when unknown (a record of an older relay)."""
    if by is None:
        return ""
    packed = base64.urlsafe_b64encode(_json([by.address, by.browser]).encode()).decode()
    return f" {packed}"


def _decode_confirmed_by(text: str) -> ConfirmedBy | None:
    if not text:
        return None
    try:
        address, browser = json.loads(base64.urlsafe_b64decode(text))
    except (binascii.Error, ValueError):
        raise StoreError("redis store holds a confirmation it cannot read") from None
    return ConfirmedBy(str(address), str(browser))


def _json(value: object) -> str:
    # ensure_ascii keeps every field one line of 7-bit text: no raw newline can occur.
    return json.dumps(value, separators=(",", ":"))


def encode_result(result: PairingResult, *, acknowledged: bool = False) -> str:
    fields: list[str | int | None] = [result.kind.value, result.sealed]
    if result.error is not None or result.error_description is not None or acknowledged:
        fields += [result.error, result.error_description]
    if acknowledged:
        fields.append(1)
    return _json(fields)


def decode_result(text: str) -> tuple[PairingResult, bool]:
    """The result, and whether the host acknowledged it."""
    fields = json.loads(text)
    kind, sealed = fields[0], fields[1]
    error, description = (fields[2], fields[3]) if len(fields) > 2 else (None, None)
    acknowledged = len(fields) > 4 and fields[4] == 1
    return PairingResult(ResultKind(kind), sealed, error, description), acknowledged


def encode_outcome(outcome: Outcome) -> str:
    return _json([int(outcome.signed_in), outcome.account_id, outcome.role, outcome.reason])


def _decode_outcome(text: str) -> Outcome | None:
    if not text:
        return None
    signed_in, account_id, role, reason = json.loads(text)
    return Outcome(bool(signed_in), account_id, role, reason)


def decode_live(pairing_id: str, record: bytes) -> Pairing:
    _, expires_at, confirmed, result, tail, packed = record.split(b"\n", 5)
    if packed[:1] != _BODY_V1.encode():
        raise StoreError("redis store holds a pairing record of an unknown format")
    unpacker = zlib.decompressobj(-15, _BODY_DICTIONARY)
    body = json.loads(unpacker.decompress(packed[1:]) + unpacker.flush())
    hostname, user_code, state = json.loads(tail)
    confirmed_at, _, bound = confirmed.decode().partition(" ")
    binding_hash, _, by = bound.partition(" ")
    url_parts = body[1]
    held, acknowledged = decode_result(result.decode()) if result else (None, False)
    return Pairing(
        pairing_id=pairing_id,
        user_code=user_code,
        state=state,
        mode=PairingMode(body[0]),
        authorize_url=f"state={state}".join(url_parts),
        public_key=body[2],
        poll_token_hash=body[3],
        host=HostInfo(
            hostname=hostname,
            user=body[4],
            client=body[5],
            address=body[6],
            user_agent=body[7],
            role=body[9] if len(body) > 9 else "",  # records of older relays have none
        ),
        created_at=float(body[8]),
        expires_at=float(expires_at),
        confirmed_at=float(confirmed_at) if confirmed_at else None,
        binding_hash=binding_hash or None,
        result=held,
        acknowledged=acknowledged,
        # records of older relays have no numbers (a host of revision 1 shows none)
        match_number=body[10] if len(body) > 10 else None,
        match_choices=tuple(body[11]) if len(body) > 11 else (),
        confirmed_by=_decode_confirmed_by(by),
    )


def expired_tombstone(pairing: Pairing) -> Tombstone:
    """What a live record whose expiry has passed (not swept yet) counts as."""
    return Tombstone(
        pairing.pairing_id,
        GoneReason.EXPIRED,
        pairing.host.hostname,
        pairing.expires_at,
        binding_hash=pairing.binding_hash,
    )


def decode_tombstone(pairing_id: str, record: bytes) -> Tombstone:
    _, reason, gone_at, tail, *kept = record.decode().split("\n", 5)
    binding_hash, outcome = kept if kept else ("", "")
    return Tombstone(
        pairing_id,
        GoneReason(reason),
        json.loads(tail)[0],
        float(gone_at),
        binding_hash=binding_hash or None,
        outcome=_decode_outcome(outcome),
    )
