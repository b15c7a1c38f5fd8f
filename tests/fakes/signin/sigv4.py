"""SigV4 verification for the fake's IAM-authenticated operation (RevokeOAuth2TokenWithIAM).

The signature is computed again with botocore's own signer (`botocore.auth.SigV4Auth`),
not with awslogin's (cli/awslogin/crypto/sigv4.py), so a request the fake takes is one
AWS's SDKs would have signed the same way.

The signin model lists none of these errors: they come from the SigV4 front door all AWS
APIs share, and carry the names and HTTP 403 that JSON APIs answer with (AWS's "common
errors"), a `message` and no OAuth `error` member. What is checked, in order:

* an `Authorization` header of algorithm AWS4-HMAC-SHA256 (else
  MissingAuthenticationTokenException) with `Credential`, `SignedHeaders` and `Signature`,
  a credential scope `KEY/DATE/REGION/SERVICE/aws4_request`, and `host` and `x-amz-date`
  among the signed headers, each present in the request (else IncompleteSignature);
* `x-amz-date` within `max_skew` of the fake's clock (AWS's 5 minutes) and on the scope's
  date, the scope's region the fake's and its service `signin` (else InvalidSignature);
* an access key the fake issued (else UnrecognizedClient), with its session token in a
  signed `x-amz-security-token` (else UnrecognizedClient), not yet expired (ExpiredToken);
* the signature itself (else InvalidSignature).

AWS also takes a `Date` header in place of `x-amz-date` and an unsigned session token;
every AWS SDK sends both signed, so the fake asks for that.
"""

from __future__ import annotations

import calendar
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_NAME = "signin"


class SignatureError(Exception):
    """A request refused before the operation: AWS's error name and its message."""

    status = 403

    def __init__(self, shape: str, message: str) -> None:
        super().__init__(message)
        self.shape = shape
        self.message = message


@dataclass(frozen=True)
class IssuedKey:
    """What the fake handed out with an access key, to check a signature made with it."""

    secret_access_key: str
    session_token: str
    expires_at: float


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str  # as the client addressed it: the Host header, the raw path and query
    headers: Mapping[str, str]  # names in lower case
    body: bytes


def _incomplete(message: str) -> SignatureError:
    return SignatureError("IncompleteSignatureException", message)


def _invalid(message: str) -> SignatureError:
    return SignatureError("InvalidSignatureException", message)


def _fields(authorization: str) -> dict[str, str]:
    if not authorization.startswith(ALGORITHM + " "):
        raise SignatureError("MissingAuthenticationTokenException", "Missing Authentication Token")
    fields: dict[str, str] = {}
    for part in authorization[len(ALGORITHM) + 1 :].split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in fields]
    if missing:
        raise _incomplete(f"Authorization header requires {', '.join(missing)}")
    return fields


def _stamp_seconds(stamp: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        raise _incomplete(f"x-amz-date {stamp!r} is not an ISO 8601 basic time") from None


def verify(
    request: SignedRequest,
    *,
    issued: Callable[[str], IssuedKey | None],
    region: str,
    now: float,
    max_skew: float,
) -> str:
    """The access key that signed `request`; raises SignatureError when it is not signed
    as AWS requires."""
    fields = _fields(request.headers.get("authorization", ""))
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _incomplete("Credential must be KEY/DATE/REGION/SERVICE/aws4_request")
    access_key, date, scope_region, service, _ = scope
    signed = fields["SignedHeaders"].split(";")
    if not {"host", "x-amz-date"} <= set(signed):
        raise _incomplete("SignedHeaders must include host and x-amz-date")
    absent = [name for name in signed if name not in request.headers]
    if absent:
        raise _incomplete(f"signed header(s) not in the request: {', '.join(absent)}")
    stamp = request.headers["x-amz-date"]
    at = _stamp_seconds(stamp)
    if abs(now - at) > max_skew:
        raise _invalid(f"Signature expired: {stamp} is more than 5 minutes from the server time")
    if date != stamp[:8]:
        raise _invalid("Date in Credential scope does not match x-amz-date")
    if scope_region != region:
        raise _invalid(f"Credential should be scoped to a valid region, not {scope_region!r}")
    if service != SIGNING_NAME:
        raise _invalid(f"Credential should be scoped to correct service: {SIGNING_NAME!r}")
    key = issued(access_key)
    token = request.headers.get("x-amz-security-token")
    if key is None or "x-amz-security-token" not in signed or token != key.session_token:
        raise SignatureError(
            "UnrecognizedClientException", "The security token included in the request is invalid"
        )
    if now >= key.expires_at:
        raise SignatureError(
            "ExpiredTokenException", "The security token included in the request is expired"
        )
    aws_request = AWSRequest(
        method=request.method,
        url=request.url,
        data=request.body,
        headers={name: request.headers[name] for name in signed},
    )
    aws_request.context["timestamp"] = stamp
    signer = SigV4Auth(
        Credentials(access_key, key.secret_access_key, key.session_token), SIGNING_NAME, region
    )
    if signer.signed_headers(signer.headers_to_sign(aws_request)) != fields["SignedHeaders"]:
        raise _invalid("SignedHeaders are not in canonical order or name a header AWS ignores")
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise _invalid(
            "The request signature we calculated does not match the signature you provided"
        )
    return access_key
