"""The sign-in service's records: codes, sessions and what each refresh handed out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    login_session: str
    issued_at: float
    used: bool = False
    session: LoginSession | None = None


@dataclass
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float


@dataclass
class LoginSession:
    """One signed-in session: the identity, the bound DPoP key, its refresh-token chain."""

    login_session: str
    account_id: str
    client_id: str
    jkt: str
    started_at: float
    ends_at: float
    refresh_token: str
    retired_refresh_tokens: list[str] = field(default_factory=list)
    credentials: list[IssuedCredentials] = field(default_factory=list)
    revoked: bool = False

    def ended(self, now: float) -> bool:
        return self.revoked or now >= self.ends_at


def account_id_of(login_session: str) -> str:
    """The account is the fifth field of the ARN, as the AWS CLI derives it."""
    parts = login_session.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[4].isdigit():
        raise ValueError("login session must be an ARN with an account id")
    return parts[4]


@dataclass
class RotatedAnswer:
    """What a rotated-away refresh token was answered, for the idempotency window."""

    rotated_at: float
    output: dict[str, Any]
    credentials_expire_at: float
