"""What a RevokeOAuth2TokenWithIAM request must look like, as botocore's `signin` service
model (2023-01-01) describes the operation:

* `POST /v1/revoke?x-amz-client-auth-method=iam`, protocol rest-json, `idempotent`. The
  operation keeps the service's `aws.auth#sigv4` (CreateOAuth2Token opts out with
  `smithy.api#noAuth`; this one does not), signing name `signin`: checked in sigv4.py.
  Its endpoint rule (`IsOAuthEndpoint`) is `https://{Region}.oauth.signin.aws` in the
  `aws` partition.
* Input RevokeOAuth2TokenWithIAMRequest, "RFC 7009 §2.1 revocation request": one member,
  `token`, required, in the JSON body (no location trait), of shape RevocationToken:
  1 to 12288 characters matching `ASOR[A-Za-z0-9+/=_\\-]+`, "Must be a refresh token issued
  by AWS Sign-In. Access tokens are not accepted for revocation."
* Output: none; "The endpoint returns 200 OK with an empty body on success".
* Errors: ValidationException (400), TooManyRequestsError (429), InternalServerException
  (500), AccessDeniedException, whose `error` includes INSUFFICIENT_PERMISSIONS. This
  model version gives AccessDeniedException no HTTP status; the fake answers 403, as
  for INSUFFICIENT_PERMISSIONS at the token endpoint (token_request.DENIAL_STATUS).
* What it does: "Revokes an OAuth 2.0 refresh token and its associated token chain."

Where the model is silent the fake follows RFC 7009 §2.2: a token the service does not
know is answered 200 all the same.
"""

from __future__ import annotations

import json
import re

from tests.fakes.signin.token_request import validation_error

REVOKE_PATH = "/v1/revoke"
REVOKE_QUERY = {"x-amz-client-auth-method": "iam"}
_REVOCATION_TOKEN = re.compile(r"ASOR[A-Za-z0-9+/=_\-]+")
_MAX_TOKEN = 12288


def parse_revoke_request(raw_body: bytes) -> str:
    """The `token` of a request body, checked against the model; raises ServiceError."""
    try:
        body = json.loads(raw_body)
    except ValueError as exc:
        raise validation_error("Request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise validation_error("Request body must be a JSON object")
    token = body.get("token")
    if token is None:
        raise validation_error("Missing required field(s): token")
    if not isinstance(token, str) or not 1 <= len(token) <= _MAX_TOKEN:
        raise validation_error("token must be a string of 1 to 12288 characters")
    if not _REVOCATION_TOKEN.fullmatch(token):
        raise validation_error("token is not a refresh token issued by AWS Sign-In")
    return token
