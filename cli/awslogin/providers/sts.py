"""STS over the Query API with plain httpx (no boto3 in the CLI).

AssumeRoleWithWebIdentity is unsigned by design: the ID token is the credential.
GetCallerIdentity is signed (SigV4, crypto/sigv4.py) with the credentials it asks
about: it tells who an sso session's role credentials belong to (the assumed-role ARN
names the Identity Center user), which continuity compares (docs/security.md,
invariant 14). STS answers it for any credentials: no IAM permission can deny it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import redacted_url, total_timeout, unreachable
from awslogin.crypto.sigv4 import SigningCredentials, sign
from awslogin.errors import ProviderError, one_line
from awslogin.profile import Profile
from awslogin.providers.aws_retry import send_with_retries

_NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
_SESSION_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]")
# The role session durations STS accepts (the role's own maximum may be lower).
MIN_DURATION = 900
MAX_DURATION = 43200
# GetCallerIdentity: the whole call, retries included, and one attempt at the most.
CALLER_DEADLINE_SECONDS = 30.0
CALLER_ATTEMPT_SECONDS = 10.0
# The region a call to the global endpoint is signed for, as botocore signs it.
GLOBAL_SIGNING_REGION = "us-east-1"


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float
    assumed_role_arn: str


def sts_endpoint(profile: Profile) -> str:
    """Where the profile reaches STS: its region's endpoint (the global one without a
    region), unless AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the profile says otherwise."""
    region = profile.region
    default = f"https://sts.{region}.amazonaws.com" if region else "https://sts.amazonaws.com"
    return profile.endpoint("STS", default)


def role_session_name(claims: dict[str, object]) -> str:
    """A readable session name from the ID token (shows up in CloudTrail and the ARN)."""
    for claim in ("email", "preferred_username", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return _SESSION_NAME_UNSAFE.sub("-", value)[:64].ljust(2, "-")
    return "awslogin"


def _text(node: ET.Element | None, path: str) -> str:
    found = node.find(path, _NS) if node is not None else None
    if found is None or not found.text:
        raise ProviderError(f"STS answered without {path.split(':')[-1]}")
    return found.text.strip()


def _error_line(response: httpx.Response) -> str:
    try:
        root = ET.fromstring(response.content)  # noqa: S314 (expat refuses entity bombs)
    except ET.ParseError:
        return f"HTTP {response.status_code}"
    code = root.find(".//sts:Error/sts:Code", _NS)
    if code is None:
        code = root.find(".//Error/Code")
    message = root.find(".//sts:Error/sts:Message", _NS)
    if message is None:
        message = root.find(".//Error/Message")
    parts = [p.text.strip() for p in (code, message) if p is not None and p.text]
    return one_line(": ".join(parts), 300) or f"HTTP {response.status_code}"


def assume_role_with_web_identity(
    client: httpx.Client,
    endpoint: str,
    role_arn: str,
    session_name: str,
    web_identity_token: str,
    duration_seconds: int,
) -> RoleCredentials:
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "WebIdentityToken": web_identity_token,
        "DurationSeconds": str(max(MIN_DURATION, duration_seconds)),
    }
    try:
        response = client.post(endpoint, data=form, headers={"Accept": "application/xml"})
    except httpx.HTTPError as exc:
        raise unreachable(exc, f"STS at {redacted_url(httpx.URL(endpoint))}", party="STS") from exc
    if response.status_code != 200:
        raise ProviderError(
            f"STS refused AssumeRoleWithWebIdentity for {role_arn}: {_error_line(response)}"
        )
    try:
        root = ET.fromstring(response.content)  # noqa: S314 (expat refuses entity bombs)
    except ET.ParseError as exc:
        raise ProviderError("STS answered with something that is not XML") from exc
    result = root.find("sts:AssumeRoleWithWebIdentityResult", _NS)
    credentials = result.find("sts:Credentials", _NS) if result is not None else None
    expiration = _text(credentials, "sts:Expiration")
    try:
        parsed = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        expires_at = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except ValueError as exc:
        raise ProviderError("STS answered with an unreadable Expiration") from exc
    return RoleCredentials(
        access_key_id=_text(credentials, "sts:AccessKeyId"),
        secret_access_key=_text(credentials, "sts:SecretAccessKey"),
        session_token=_text(credentials, "sts:SessionToken"),
        expires_at=expires_at,
        assumed_role_arn=_text(result, "sts:AssumedRoleUser/sts:Arn"),
    )


def get_caller_identity(
    client: httpx.Client,
    endpoint: str,
    credentials: SigningCredentials,
    region: str | None,
    clock: Clock,
) -> str:
    """The ARN of the identity `credentials` belong to. A 5xx or 429 is sent again as
    botocore would, within CALLER_DEADLINE_SECONDS; ProviderError when STS refuses,
    answers something else, or cannot be reached."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"

    def send() -> httpx.Response:
        headers = sign(
            "POST",
            endpoint,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            body,
            credentials=credentials,
            region=region or GLOBAL_SIGNING_REGION,
            service="sts",
            now=clock.now(),
        )
        return client.post(
            endpoint,
            content=body,
            headers={**headers, "Accept": "application/xml"},
            extensions=total_timeout(CALLER_ATTEMPT_SECONDS),
        )

    try:
        response = send_with_retries(send, clock, deadline_seconds=CALLER_DEADLINE_SECONDS)
    except httpx.HTTPError as exc:
        raise unreachable(exc, f"STS at {redacted_url(httpx.URL(endpoint))}", party="STS") from exc
    if response.status_code != 200:
        raise ProviderError(f"STS refused GetCallerIdentity: {_error_line(response)}")
    try:
        root = ET.fromstring(response.content)  # noqa: S314 (expat refuses entity bombs)
    except ET.ParseError as exc:
        raise ProviderError("STS answered with something that is not XML") from exc
    arn = _text(root.find("sts:GetCallerIdentityResult", _NS), "sts:Arn")
    if not arn.startswith("arn:") or not arn.isprintable() or len(arn) > 2048:
        raise ProviderError("STS answered GetCallerIdentity with something that is not an ARN")
    return arn
