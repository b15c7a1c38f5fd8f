"""The sign-in of one sso-session: client registration, the token, and keeping it fresh.

Same device: a public client registered for `authorization_code` + `refresh_token` with the
loopback redirect `http://127.0.0.1/oauth/callback` (any port matches, RFC 8252), then
`/authorize` with PKCE S256 (the parameter is `scopes`, space-separated) and CreateToken
with the verifier. Remote: device authorization, polled through the `device` flow; or the
relay in paste mode, where the person pastes the failed 127.0.0.1 redirect URL.

The token is written where botocore reads it and refreshed the way botocore does (less
than 15 minutes left), under a lock shared by every awslogin process of the session, so
a rotating refresh token is used once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.sso_cache import (
    Registration,
    RegistrationFile,
    SsoToken,
    SsoTokenFile,
    format_time,
    parse_time,
)
from awslogin.adapters.token_cache import cache_dir, session_lock
from awslogin.crypto.pkce import challenge_s256, new_state, new_verifier
from awslogin.errors import ConfigError, LoginRequired, ProviderError
from awslogin.flows.base import AuthorizationFlow, AuthorizationRequest, DeviceAuthorization
from awslogin.flows.callback import (
    CALLBACK_PATH,
    check_callback,
    redirect_params,
    unheard_loopback_redirect,
)
from awslogin.flows.device import DEVICE_CODE_GRANT, POLL_ERRORS, DeviceFlow, DevicePending
from awslogin.profile import SSO_REGION_KEY, SSO_SCOPES_KEY, SSO_START_URL_KEY, Profile
from awslogin.providers.sso_api import PARTY as SSO_OIDC_PARTY
from awslogin.providers.sso_api import SsoOidcClient, SsoOidcError, Tokens

DEFAULT_SCOPES = ("sso:account:access",)
REDIRECT_URI = f"http://127.0.0.1{CALLBACK_PATH}"
AUTH_CODE_GRANTS = ("authorization_code", "refresh_token")
# botocore refreshes the token with less than this left; doing the same means that the
# two never both refresh one token.
TOKEN_REFRESH_WINDOW = 15 * 60
# A registration this close to its end is replaced rather than reused for a new sign-in.
REGISTRATION_MARGIN = 3600
# Errors after which only a new sign-in helps.
_SESSION_OVER = ("invalid_grant", "invalid_client", "unauthorized_client", "expired_token")


@dataclass(frozen=True)
class SsoSession:
    """A `[sso-session NAME]` section as botocore reads it."""

    name: str
    start_url: str
    region: str
    scopes: tuple[str, ...]

    @classmethod
    def from_section(cls, name: str, section: Mapping[str, str] | None) -> SsoSession:
        if section is None:
            raise ConfigError(
                f"the AWS config file has no [sso-session {name}] section: "
                "run `awslogin configure --provider sso`"
            )
        missing = [key for key in (SSO_START_URL_KEY, SSO_REGION_KEY) if not section.get(key)]
        if missing:
            raise ConfigError(f"[sso-session {name}] lacks {', '.join(missing)}")
        scopes = tuple(s.strip() for s in section.get(SSO_SCOPES_KEY, "").split(",") if s.strip())
        return cls(
            name, section[SSO_START_URL_KEY], section[SSO_REGION_KEY], scopes or DEFAULT_SCOPES
        )

    def oidc_endpoint(self, profile: Profile) -> str:
        """IAM Identity Center's OIDC service (sso-oidc) of this session's region."""
        return profile.endpoint("SSO_OIDC", f"https://oidc.{self.region}.amazonaws.com")

    def portal_endpoint(self, profile: Profile) -> str:
        """The AWS access portal (service `sso`) of this session's region."""
        return profile.endpoint("SSO", f"https://portal.sso.{self.region}.amazonaws.com")


def _seconds(value: object, default: float) -> float:
    """A number of seconds from a JSON answer: its default when absent, NaN (which the
    device flow refuses) when it is not a number."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


class SsoSessionAuth:
    """Obtains, stores, refreshes and ends the token of one sso-session."""

    def __init__(
        self,
        session: SsoSession,
        environ: Mapping[str, str],
        oidc_url: str,
        http: HttpFactory,
        clock: Clock,
    ) -> None:
        self.session = session
        self.environ = environ
        self.oidc_url = oidc_url
        self.http = http
        self.clock = clock
        self.token_file = SsoTokenFile(environ, session.name)

    # -- registration ------------------------------------------------------------------

    def _registration(self, oidc: SsoOidcClient, *, device: bool) -> Registration:
        cache = RegistrationFile(
            self.environ,
            self.session.start_url,
            self.session.region,
            self.session.scopes,
            self.session.name,
        )
        cached = cache.load()
        if cached is not None and self._reusable(cached, device=device):
            return cached
        registered = oidc.register_client(
            f"awslogin-client-{self.session.name}",
            list(self.session.scopes),
            grant_types=None if device else list(AUTH_CODE_GRANTS),
            redirect_uris=None if device else [REDIRECT_URI],
            issuer_url=None if device else self.session.start_url,
        )
        registration = Registration(
            clientId=registered["clientId"],
            clientSecret=registered["clientSecret"],
            expiresAt=format_time(float(registered["clientSecretExpiresAt"])),
            scopes=list(self.session.scopes),
        )
        if not device:
            registration["grantTypes"] = list(AUTH_CODE_GRANTS)
        cache.save(registration)
        return registration

    def _reusable(self, cached: Registration, *, device: bool) -> bool:
        expires = parse_time(cached["expiresAt"])
        if (
            expires is None
            or expires - self.clock.now() < REGISTRATION_MARGIN
            or cached["scopes"] != list(self.session.scopes)
        ):
            return False
        grants = cached.get("grantTypes")
        if device:  # registered without grant types: device code and refresh token
            return grants is None or DEVICE_CODE_GRANT in grants
        return grants is not None and "authorization_code" in grants

    # -- sign-in -----------------------------------------------------------------------

    def sign_in(self, flow: AuthorizationFlow | DeviceFlow) -> SsoToken:
        """A new token for the session through `flow`, not stored yet: a login saves it
        (`save`) only once its identity may replace the session's (docs/security.md,
        invariant 14), so that a sign-in refused there leaves nothing behind."""
        with self.http.client() as client:
            oidc = SsoOidcClient(client, self.oidc_url)
            if isinstance(flow, DeviceFlow):
                registration = self._registration(oidc, device=True)
                tokens = self._device_sign_in(oidc, flow, registration)
            else:
                registration = self._registration(oidc, device=False)
                tokens = self._code_sign_in(oidc, flow, registration)
        return self._token(tokens, registration)

    def _device_sign_in(
        self, oidc: SsoOidcClient, flow: DeviceFlow, registration: Registration
    ) -> Tokens:
        client_id, client_secret = registration["clientId"], registration["clientSecret"]
        started = oidc.start_device_authorization(client_id, client_secret, self.session.start_url)
        complete = started.get("verificationUriComplete")
        authorization = DeviceAuthorization(
            verification_uri=started["verificationUri"],
            verification_uri_complete=complete if isinstance(complete, str) else None,
            user_code=started["userCode"],
            expires_in=_seconds(started.get("expiresIn"), 600.0),
            interval=_seconds(started.get("interval"), 5.0),
            party=SSO_OIDC_PARTY,
        )
        body = {
            "grantType": DEVICE_CODE_GRANT,
            "clientId": client_id,
            "clientSecret": client_secret,
            "deviceCode": started["deviceCode"],
        }

        def poll() -> Tokens:
            try:
                return oidc.create_token(body)
            except SsoOidcError as refused:
                if refused.error in POLL_ERRORS:
                    raise DevicePending(refused.error, refused.description) from None
                raise

        return flow.wait(authorization, poll)

    def _code_sign_in(
        self, oidc: SsoOidcClient, flow: AuthorizationFlow, registration: Registration
    ) -> Tokens:
        verifier, state = new_verifier(), new_state()

        def build(redirect_uri: str | None) -> AuthorizationRequest:
            return AuthorizationRequest.for_code(
                oidc.authorize_endpoint,
                client_id=registration["clientId"],
                redirect_uri=redirect_uri or unheard_loopback_redirect(),
                state=state,
                code_challenge_method="S256",
                scopes=" ".join(self.session.scopes),
                code_challenge=challenge_s256(verifier),
            )

        response = flow.authorize(build)
        params = redirect_params(response.params, response.request)
        code = check_callback(params, response.request, party="IAM Identity Center")
        return oidc.create_token(
            {
                "grantType": "authorization_code",
                "clientId": response.request.client_id,
                "clientSecret": registration["clientSecret"],
                "code": code,
                "redirectUri": response.request.redirect_uri,
                "codeVerifier": verifier,
            }
        )

    def _token(self, tokens: Tokens, registration: Registration) -> SsoToken:
        token = SsoToken(
            startUrl=self.session.start_url,
            region=self.session.region,
            accessToken=tokens.access_token,
            expiresAt=format_time(self.clock.now() + tokens.expires_in),
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            registrationExpiresAt=registration["expiresAt"],
        )
        if tokens.refresh_token is not None:
            token["refreshToken"] = tokens.refresh_token
        return token

    def save(self, token: SsoToken) -> None:
        """A sign-in's token, where botocore reads it: every profile of the session uses it."""
        self.token_file.save(token)

    # -- using the token ---------------------------------------------------------------

    def access_token(self, profile: str) -> str:
        """A usable access token, refreshed first when less than 15 minutes are left."""
        with session_lock(cache_dir(self.environ), "sso-session", self.session.name):
            token = self.token_file.load()
            if token is None:
                raise LoginRequired(profile, f"not signed in to SSO session {self.session.name}")
            if token.get("startUrl", "").rstrip("/") != self.session.start_url.rstrip("/"):
                raise LoginRequired(
                    profile, f"SSO session {self.session.name} now has another start URL"
                )
            expires = parse_time(token.get("expiresAt")) or 0.0
            left = expires - self.clock.now()
            if left >= TOKEN_REFRESH_WINDOW:
                return token["accessToken"]
            try:
                refreshed = self._refresh(token, profile)
            except ProviderError:
                if left <= 0:
                    raise
                refreshed = None  # unreachable for now: the token still works a while
            if refreshed is not None:
                return refreshed
            if left > 0:
                return token["accessToken"]
            raise LoginRequired(profile, f"the SSO session {self.session.name} has expired")

    def _refresh(self, token: SsoToken, profile: str) -> str | None:
        """The new access token; None when the token cannot be refreshed (no refresh token,
        an expired registration) or IAM Identity Center says the session is over.

        botocore refreshes the same file and takes no lock, so the file is read again
        before anything is written: a refusal after botocore rotated the refresh token is
        a lost race (botocore's new token is used), and a file that `aws sso logout`
        deleted meanwhile is not written back (LoginRequired: signed out).
        """
        registration_end = parse_time(token.get("registrationExpiresAt")) or 0.0
        client_id, secret = token.get("clientId"), token.get("clientSecret")
        refresh_token = token.get("refreshToken")
        if registration_end <= self.clock.now() or not (client_id and secret and refresh_token):
            return None
        body = {
            "grantType": "refresh_token",
            "clientId": client_id,
            "clientSecret": secret,
            "refreshToken": refresh_token,
        }
        try:
            with self.http.client() as client:
                tokens = SsoOidcClient(client, self.oidc_url).create_token(body)
        except SsoOidcError as refused:
            if refused.error not in _SESSION_OVER:
                raise
            latest = self._still_signed_in(profile)
            if latest.get("refreshToken") != refresh_token:
                expires = parse_time(latest.get("expiresAt")) or 0.0
                return latest["accessToken"] if expires > self.clock.now() else None
            # Remember for every profile of the session (and botocore) that it is over.
            latest.pop("refreshToken", None)
            self.token_file.save(latest)
            return None
        latest = self._still_signed_in(profile)
        latest["accessToken"] = tokens.access_token
        latest["expiresAt"] = format_time(self.clock.now() + tokens.expires_in)
        if tokens.refresh_token is not None:
            latest["refreshToken"] = tokens.refresh_token
        self.token_file.save(latest)
        return tokens.access_token

    def _still_signed_in(self, profile: str) -> SsoToken:
        """The token file as it is now; LoginRequired when it is gone (signed out)."""
        latest = self.token_file.load()
        if latest is None:
            raise LoginRequired(profile, f"signed out of SSO session {self.session.name}")
        return latest
