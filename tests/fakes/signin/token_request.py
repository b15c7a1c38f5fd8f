"""What a CreateOAuth2Token request must look like, and the errors the endpoint answers.

Each refusal here is one that botocore's `signin` service model (2023-01-01) documents:
the shapes' patterns and lengths, the fields each grant requires, the error shapes with
their `error` codes and HTTP statuses. Nothing here is stricter than the model.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

# AccessDeniedException's "Runtime HTTP Status Code Mapping" in the model.
DENIAL_STATUS = {
    "TOKEN_EXPIRED": 401,
    "AUTHCODE_EXPIRED": 401,
    "USER_CREDENTIALS_CHANGED": 403,
    "INSUFFICIENT_PERMISSIONS": 403,
}

# The model's other error shapes a test may force: (HTTP status, `error` code). botocore
# retries a 500 in every retry mode and a 429 in its legacy mode (botocore/data/_retry.json).
FAILURE_STATUS = {
    "InternalServerException": (500, "server_error"),
    "TooManyRequestsError": (429, "INVALID_REQUEST"),
}

# Model shapes: ClientId and GrantType patterns, CodeVerifier 43-128 unreserved characters
# (RFC 7636 4.1), AuthorizationCode 1-512, RedirectUri 1-2048, RefreshToken 1-2048.
_CLIENT_ID = re.compile(r"arn:aws:signin:::devtools/(cross-device|same-device)")
_GRANT_TYPE = re.compile(r"(authorization_code|refresh_token)")
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_LENGTHS = {"code": (1, 512), "redirectUri": (1, 2048), "refreshToken": (1, 2048)}
_STRING_FIELDS = ("clientId", "grantType", "code", "redirectUri", "codeVerifier", "refreshToken")
# The fields each grant needs ("Required only when grant_type=..." in the model).
_REQUIRED = {
    "authorization_code": ("code", "redirectUri", "codeVerifier"),
    "refresh_token": ("refreshToken",),
}
# The operation's documentation: "Content-Type: application/json or
# application/x-www-form-urlencoded", the form with OAuth's names (client_id, ...).
_FORM_NAMES = {
    "client_id": "clientId",
    "grant_type": "grantType",
    "code": "code",
    "redirect_uri": "redirectUri",
    "code_verifier": "codeVerifier",
    "refresh_token": "refreshToken",
}


class ServiceError(Exception):
    """A modeled CreateOAuth2Token error: shape name, OAuth2ErrorCode and HTTP status."""

    def __init__(self, shape: str, error: str, status: int, message: str) -> None:
        super().__init__(message)
        self.shape = shape
        self.error = error
        self.status = status
        self.message = message


def validation_error(message: str) -> ServiceError:
    """ValidationException: HTTP 400, error INVALID_REQUEST (the model's only code for it)."""
    return ServiceError("ValidationException", "INVALID_REQUEST", 400, message)


def access_denied(reason: str, message: str) -> ServiceError:
    return ServiceError("AccessDeniedException", reason, DENIAL_STATUS[reason], message)


def failure(shape: str) -> ServiceError:
    status, error = FAILURE_STATUS[shape]
    return ServiceError(shape, error, status, f"{shape} (forced by the test)")


def _decode(raw_body: bytes, content_type: str) -> Any:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise validation_error("Request body is not UTF-8") from exc
        return {_FORM_NAMES.get(name, name): value for name, value in pairs}
    try:
        return json.loads(raw_body)
    except ValueError as exc:
        raise validation_error("Request body is not valid JSON") from exc


def parse_token_request(raw_body: bytes, content_type: str) -> dict[str, Any]:
    """The tokenInput of a request, checked against the model; raises ServiceError."""
    body = _decode(raw_body, content_type)
    if not isinstance(body, dict):
        raise validation_error("Request body must be a JSON object")
    for name in _STRING_FIELDS:
        if name in body and not isinstance(body[name], str):
            raise validation_error(f"{name} must be a string")
    if not _CLIENT_ID.fullmatch(body.get("clientId", "")):
        raise validation_error("clientId is missing or not a devtools client")
    if not _GRANT_TYPE.fullmatch(body.get("grantType", "")):
        raise validation_error("grantType must be authorization_code or refresh_token")
    for name, (low, high) in _LENGTHS.items():
        if name in body and not low <= len(body[name]) <= high:
            raise validation_error(f"{name} has an invalid length")
    verifier = body.get("codeVerifier")
    if verifier is not None and not _CODE_VERIFIER.fullmatch(verifier):
        raise validation_error("codeVerifier must be 43-128 unreserved characters")
    missing = [name for name in _REQUIRED[body["grantType"]] if name not in body]
    if missing:
        raise validation_error(f"Missing required field(s): {', '.join(missing)}")
    return body
