"""Records the fake keeps and the errors it answers with.

Error names, HTTP statuses and body fields follow botocore's `sso-oidc` and `sso`
service models (2019-06-10), so botocore's rest-json parser turns them into the
modelled exception classes (`client.exceptions.SlowDownException`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

# sso-oidc: every modelled error has `error` and `error_description`; statuses from the model.
OIDC_ERROR_STATUS: dict[str, int] = {
    "AccessDeniedException": 400,
    "AuthorizationPendingException": 400,
    "ExpiredTokenException": 400,
    "InternalServerException": 500,
    "InvalidClientException": 401,
    "InvalidClientMetadataException": 400,
    "InvalidGrantException": 400,
    "InvalidRedirectUriException": 400,
    "InvalidRequestException": 400,
    "InvalidScopeException": 400,
    "SlowDownException": 400,
    "UnauthorizedClientException": 400,
    "UnsupportedGrantTypeException": 400,
}

# The OAuth `error` value that IAM Identity Center puts in each exception's body.
OIDC_ERROR_CODE: dict[str, str] = {
    "AccessDeniedException": "access_denied",
    "AuthorizationPendingException": "authorization_pending",
    "ExpiredTokenException": "expired_token",
    "InternalServerException": "server_error",
    "InvalidClientException": "invalid_client",
    "InvalidClientMetadataException": "invalid_client_metadata",
    "InvalidGrantException": "invalid_grant",
    "InvalidRedirectUriException": "invalid_redirect_uri",
    "InvalidRequestException": "invalid_request",
    "InvalidScopeException": "invalid_scope",
    "SlowDownException": "slow_down",
    "UnauthorizedClientException": "unauthorized_client",
    "UnsupportedGrantTypeException": "unsupported_grant_type",
}

# Device-poll outcomes a test may force, by their OAuth name.
FORCEABLE_DEVICE_ERRORS: dict[str, str] = {
    "authorization_pending": "AuthorizationPendingException",
    "slow_down": "SlowDownException",
    "expired_token": "ExpiredTokenException",
    "access_denied": "AccessDeniedException",
}

# sso (portal): errors carry `message`. ForbiddenException is not in the model but is what
# the real portal answers for an unassigned account/role ("No access").
PORTAL_ERROR_STATUS: dict[str, int] = {
    "InvalidRequestException": 400,
    "UnauthorizedException": 401,
    "ForbiddenException": 403,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
}

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ACCOUNT_ACCESS_SCOPE = "sso:account:access"


class FakeApiError(Exception):
    """An answer the fake gives as a modelled AWS error (never a 500 by accident)."""

    def __init__(self, service: str, exception_type: str, description: str) -> None:
        super().__init__(f"{exception_type}: {description}")
        self.service = service
        self.exception_type = exception_type
        self.description = description

    @property
    def status(self) -> int:
        table = OIDC_ERROR_STATUS if self.service == "sso-oidc" else PORTAL_ERROR_STATUS
        return table[self.exception_type]

    def body(self) -> dict[str, str]:
        if self.service == "sso-oidc":
            return {
                "error": OIDC_ERROR_CODE[self.exception_type],
                "error_description": self.description,
            }
        return {"message": self.description}


def oidc_error(exception_type: str, description: str) -> FakeApiError:
    return FakeApiError("sso-oidc", exception_type, description)


def portal_error(exception_type: str, description: str) -> FakeApiError:
    return FakeApiError("sso", exception_type, description)


@dataclass
class FakeSettings:
    """Knobs; a test may change them while the fake runs (read at each request)."""

    start_url: str = "https://d-9067000000.awsapps.com/start"
    region: str = "us-east-1"
    access_token_ttl: int = 3600
    refresh_allowed: bool = True
    rotate_refresh_tokens: bool = True
    registration_ttl: int = 90 * 24 * 3600
    device_interval: int = 1
    device_code_ttl: int = 600
    # Polls a device code may make back to back before the pace must follow `interval`
    # (a token bucket of this size, refilled once per interval; see SsoState._poll_pace).
    # 2: the AWS CLI polls twice without a pause by design (awscli/botocore/utils.py
    # SSOTokenFetcher._poll_for_token: one CreateToken before showing the code, then the
    # loop's first, about 9 ms later), so AWS cannot answer slow_down to that.
    device_poll_burst: int = 2
    enforce_interval: bool = True
    auth_code_ttl: int = 300
    auto_sign_in: bool = False
    role_credentials_ttl: int = 3600
    default_page_size: int = 2
    # STS (moto, tests/peers/sts.py) that mints the role credentials: AssumeRole with the
    # signed-in user as the session name, so that GetCallerIdentity on them answers
    # arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_<role>_<id>/<user>, as the real
    # service's do. None: random keys that no STS knows.
    sts_url: str | None = None
    # Scopes RegisterClient accepts. AWS publishes no list; these are the ones AWS's own
    # clients register (the AWS CLI: sso:account:access by default; the AWS Toolkits and
    # Amazon Q: codecatalyst:read_write and the codewhisperer:* set), plus sso:account:list.
    known_scopes: frozenset[str] = frozenset(
        {
            ACCOUNT_ACCESS_SCOPE,
            "sso:account:list",
            "codecatalyst:read_write",
            "codewhisperer:completions",
            "codewhisperer:analysis",
            "codewhisperer:conversations",
            "codewhisperer:taskassist",
            "codewhisperer:transformations",
        }
    )


@dataclass(frozen=True)
class Account:
    account_id: str
    account_name: str
    email_address: str
    roles: tuple[str, ...]


DEFAULT_ACCOUNTS: tuple[Account, ...] = (
    Account(
        "111111111111", "dev", "dev@example.com", ("AdministratorAccess", "Developer", "ReadOnly")
    ),
    Account("222222222222", "prod", "prod@example.com", ("ReadOnly", "Operator")),
)


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str
    client_name: str
    scopes: tuple[str, ...]
    grant_types: tuple[str, ...] | None  # None: registered without grantTypes (device flow)
    redirect_uris: tuple[str, ...]
    issuer_url: str | None
    issued_at: int
    secret_expires_at: int

    def allows_grant(self, grant_type: str) -> bool:
        if self.grant_types is None:
            return grant_type in (DEVICE_CODE_GRANT, "refresh_token")
        return grant_type in self.grant_types


@dataclass
class SignIn:
    """One person's sign-in; Logout ends it and every token issued under it."""

    user: str
    client_id: str
    scopes: tuple[str, ...]
    ended: bool = False


@dataclass
class AccessToken:
    sign_in: SignIn
    expires_at: float


@dataclass
class RefreshToken:
    sign_in: SignIn
    used: bool = False


@dataclass
class DeviceAuthorization:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    interval: int
    status: str = "pending"  # pending | approved | denied | consumed
    user: str | None = None
    last_poll: float | None = None
    poll_allowance: float = 0.0  # polls left in the bucket at last_poll


@dataclass
class AuthorizeRequest:
    """A browser sign-in in progress: what /authorize was asked, kept server side."""

    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    scopes: tuple[str, ...]


@dataclass
class AuthorizationCode:
    request: AuthorizeRequest
    user: str
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class IssuedRoleCredentials:
    account_id: str
    role_name: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration_ms: int


@dataclass
class PageCursor:
    kind: str
    account_id: str | None
    offset: int
