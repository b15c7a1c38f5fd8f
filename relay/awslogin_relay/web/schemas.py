"""Request and response shapes of the JSON API, for validation and the OpenAPI document.

Responses are built as plain dicts on the hot paths; these models describe them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from awslogin_protocol.messages import MAX_AUTHORIZE_URL


class HostIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hostname: str = Field(min_length=1, max_length=253, description="host name shown on the page")
    user: str = Field(default="", max_length=64, description="user name on the host")
    client: str = Field(default="", max_length=64, description="client software, awslogin/x.y")


class CreatePairingIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    authorize_url: str = Field(max_length=MAX_AUTHORIZE_URL)
    mode: Literal["redirect", "paste"] = "redirect"
    public_key: str = Field(max_length=64, description="base64url X25519 public key of the host")
    host: HostIn


class CreatedPairingOut(BaseModel):
    pairing_id: str
    user_code: str = Field(description="XXXX-XXXX, shown in the terminal and on the page")
    verification_uri: str
    verification_uri_complete: str
    poll_token: str = Field(description="Bearer token for the result; shown only here")
    expires_in: int
    interval: float


class PollOut(BaseModel):
    status: Literal["pending", "complete", "denied"]
    sealed: str | None = None
    error: str | None = None
    error_description: str | None = None


class PublicStatusOut(BaseModel):
    status: Literal["pending", "authorized", "denied", "collected", "expired", "cancelled"]


class ErrorOut(BaseModel):
    error: str
    error_description: str


class WellKnownOut(BaseModel):
    version: int
    callback_uri: str
    verification_uri: str
    allowed_authorize_origins: list[str]
    max_wait: int
    interval: float


ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "malformed request",
        401: "missing or wrong token",
        404: "unknown pairing",
        410: "pairing collected, expired or cancelled",
        413: "body too large",
        422: "body does not match the schema",
        429: "rate limit, or polled faster than `interval` (slow_down)",
        503: "too many pending pairings, or the store is unavailable",
    }.items()
}
