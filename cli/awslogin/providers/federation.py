"""The AWS federation endpoint: a console sign-in URL from role credentials.

Two steps, as AWS documents them ("Enable custom identity broker access to the AWS
console", docs/security.md, "The console"): `Action=getSigninToken` with the session
credentials as JSON ({sessionId, sessionKey, sessionToken}) and, for credentials from
AssumeRole* (STS or IAM Identity Center's GetRoleCredentials), an optional
`SessionDuration` of 900 to 43200 seconds, answers `{"SigninToken": ...}`; the URL
`Action=login&Issuer=...&Destination=...&SigninToken=...` then signs a browser in. The
token is good for 15 minutes; the URL is a bearer credential until then.

The call is sent again after a passing fault (a 5xx, a 429, no connection) as botocore
would, within one total deadline. Nothing of the credentials, the token or the URL is
ever part of a message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import json_answer, redacted_url, total_timeout, unreachable
from awslogin.errors import ProviderError, Unavailable, one_line
from awslogin.providers.aws_retry import BOTOCORE_RETRIED_STATUSES, backoff_seconds

PARTY = "the AWS federation endpoint"
FEDERATION_PATH = "/federation"
# What AWS documents: the sign-in token lives 15 minutes; a console session asked for
# with SessionDuration lasts 15 minutes to 12 hours.
SIGNIN_TOKEN_SECONDS = 900
MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
# The whole federation call, retries included, and one attempt at the most.
DEADLINE_SECONDS = 30.0
ATTEMPT_SECONDS = 15.0
# A sign-in token is a few kilobytes; an answer much larger is not one.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


def federation_endpoint(signin_base: str) -> str:
    """The federation endpoint under a sign-in origin: the partition's, or the override
    AWS_ENDPOINT_URL_FEDERATION (or the profile's `services` section) names."""
    return signin_base.rstrip("/") + FEDERATION_PATH


def signin_token(
    client: httpx.Client,
    endpoint: str,
    credentials: SessionCredentials,
    clock: Clock,
    *,
    session_duration: int | None = None,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> str:
    """A sign-in token for `credentials`; ProviderError with AWS's reason when refused,
    Unavailable when nothing answered before the deadline."""
    session = json.dumps(
        {
            "sessionId": credentials.access_key_id,
            "sessionKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
        }
    )
    params = {"Action": "getSigninToken", "Session": session}
    if session_duration is not None:
        params["SessionDuration"] = str(session_duration)
    service = f"{PARTY} at {redacted_url(httpx.URL(endpoint))}"
    response = _send(client, endpoint, params, clock, deadline_seconds, service)
    if response.status_code != 200:
        # AWS documents SessionDuration for AssumeRole* credentials; whether IAM Identity
        # Center's take it is not documented (docs/security.md, "The console").
        retry = "; try again without --duration" if session_duration is not None else ""
        raise ProviderError(
            f"{PARTY} refused a sign-in token (HTTP {response.status_code}): "
            f"{_reason(response)}{retry}"
        )
    try:
        answer = json_answer(response)
    except ValueError:
        answer = None
    token = answer.get("SigninToken") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
        raise ProviderError(f"{PARTY} answered without a sign-in token")
    return token


def login_url(endpoint: str, token: str, *, destination: str, issuer: str | None) -> str:
    """The console sign-in URL: a bearer credential for SIGNIN_TOKEN_SECONDS. `issuer` is
    the page the console links to once the session ends (AWS's own when None)."""
    params = {"Action": "login", "Destination": destination, "SigninToken": token}
    if issuer is not None:
        params["Issuer"] = issuer
    return f"{endpoint}?{urlencode(params)}"


def _send(
    client: httpx.Client,
    endpoint: str,
    params: dict[str, str],
    clock: Clock,
    deadline_seconds: float,
    service: str,
) -> httpx.Response:
    """The endpoint's answer, asked again after a passing fault until the deadline."""
    deadline = clock.monotonic() + deadline_seconds
    attempt = 1
    while True:
        left = deadline - clock.monotonic()
        failure: Unavailable | None = None
        try:
            response = client.get(
                endpoint,
                params=params,
                extensions=total_timeout(min(ATTEMPT_SECONDS, max(left, 0.0))),
            )
        except httpx.HTTPError as exc:
            error = unreachable(exc, service, party=PARTY)
            if not isinstance(error, Unavailable):
                raise error from exc
            failure = error
        else:
            if response.status_code not in BOTOCORE_RETRIED_STATUSES:
                return response
        pause = backoff_seconds(attempt)
        if clock.monotonic() + pause >= deadline:
            if failure is not None:
                raise failure
            raise Unavailable(
                f"{service} is unavailable (HTTP {response.status_code}); try again later",
                party=PARTY,
                status=response.status_code,
            )
        clock.sleep(pause)
        attempt += 1


def _reason(response: httpx.Response) -> str:
    """AWS's words for a refusal (a short text or HTML page), made safe to print."""
    text = response.content[:2048].decode("utf-8", "replace")
    if "<" in text:  # an HTML page: its text only
        text = re.sub(r"<[^>]*>", " ", text)
    return one_line(text, 200) or "no reason given"
