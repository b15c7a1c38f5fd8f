"""AWS Signature Version 4 for the one AWS call awslogin signs itself: AWS Sign-In's
RevokeOAuth2TokenWithIAM, which `logout` sends with the session's own credentials.

Why a module of its own rather than a library: botocore (whose `SigV4Auth` does this) is
no runtime dependency of awslogin, and pulling it in for one request would add tens of
megabytes and a slow import to the CLI; awscrt is a native wheel that only the tests
install. SigV4 itself is small: HMAC-SHA256 over a canonical form of the request, with a
key derived from the secret, the date, the region and the service. This is that
algorithm for a request whose body is in memory, checked against AWS's published SigV4
test suite and against botocore's signer (tests/unit/cli/crypto/test_sigv4.py).

Every header given is signed, plus `host`, `x-amz-date` and, with temporary credentials,
`x-amz-security-token`; the payload's SHA-256 is part of the signature (not sent as a
header: only S3 asks for `x-amz-content-sha256`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
# RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded.
_UNRESERVED = "-_.~"


@dataclass(frozen=True)
class SigningCredentials:
    """The AWS credentials a request is signed with."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """The key for one day, region and service (kSigning of the SigV4 documentation)."""
    key = _hmac(f"AWS4{secret_access_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _host(url: str) -> str:
    """The Host header a client sends for `url`: the port only when it is not the default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def canonical_request(
    method: str, url: str, headers: Mapping[str, str], payload_sha256: str
) -> tuple[str, str]:
    """The canonical request and its signed-header list, for headers that already hold
    everything to sign (`host` included). The path is encoded once more, as every
    service but S3 expects."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/~")
    canonical = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    names = sorted(canonical)
    lines = "".join(f"{name}:{canonical[name]}\n" for name in names)
    signed = ";".join(names)
    text = "\n".join(
        (method.upper(), path, _canonical_query(parts.query), lines, signed, payload_sha256)
    )
    return text, signed


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: SigningCredentials,
    region: str,
    service: str,
    now: float | None = None,
) -> dict[str, str]:
    """The headers to send: `headers`, `Host`, `X-Amz-Date`, `X-Amz-Security-Token` (with
    temporary credentials) and the `Authorization` that signs them all and `body`."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    signed_headers = {**headers, "Host": _host(url), "X-Amz-Date": stamp}
    if credentials.session_token:
        signed_headers["X-Amz-Security-Token"] = credentials.session_token
    request, names = canonical_request(
        method, url, signed_headers, hashlib.sha256(body).hexdigest()
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        (ALGORITHM, stamp, scope, hashlib.sha256(request.encode("utf-8")).hexdigest())
    )
    key = signing_key(credentials.secret_access_key, stamp[:8], region, service)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return {**signed_headers, "Authorization": authorization}
