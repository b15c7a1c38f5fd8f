"""Provider `oidc`: any OpenID Connect IdP with a public client (PKCE S256), turned into
AWS credentials by STS AssumeRoleWithWebIdentity.

The IdP's endpoints come from discovery (oidc_discovery.py); every ID token, at login
and at each refresh, is validated (oidc_tokens.py) before it is presented to STS (sts.py).

Sign-in on this machine goes through the loopback listener; on another device through the
relay when one is configured, else with a device code (oidc_device.py) when the IdP offers
one, else with the address the other device's browser failed to open, pasted here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import HttpFactory
from awslogin.crypto.jwt_claims import id_token_claims
from awslogin.crypto.pkce import challenge_s256, new_state, new_verifier
from awslogin.errors import ConfigError, LoginRequired, ProviderError, failure_in_words
from awslogin.flows.base import AuthorizationFlow, AuthorizationRequest, Mode
from awslogin.flows.callback import check_callback, redirect_params, unheard_loopback_redirect
from awslogin.flows.device import DeviceFlow
from awslogin.profile import (
    CLIENT_ID_KEY,
    DURATION_KEY,
    ISSUER_KEY,
    ROLE_ARN_KEY,
    SCOPES_KEY,
    Profile,
    session_limit,
)
from awslogin.providers.base import RelayPrecedence, RemoteFlow, Revocation, SignInFlow
from awslogin.providers.oidc_device import device_tokens, start_device_authorization
from awslogin.providers.oidc_discovery import IdpMetadata, discover, origin
from awslogin.providers.oidc_tokens import token_request, validate_id_token
from awslogin.providers.sts import (
    RoleCredentials,
    assume_role_with_web_identity,
    role_session_name,
    sts_endpoint,
)
from awslogin.session_record import (
    SESSION_LIMIT_SECONDS,
    Identity,
    ProviderState,
    SessionRecord,
    SessionWindow,
    new_credentials,
)

DEFAULT_SCOPES = "openid offline_access"
DEFAULT_DURATION = 3600


class OidcProvider:
    name: ClassVar[str] = "oidc"
    session_keys: ClassVar[tuple[str, ...]] = (ISSUER_KEY, CLIENT_ID_KEY, ROLE_ARN_KEY)
    # A relay (its page, a short link) is the better remote sign-in wherever one is set.
    relay_precedence: ClassVar[RelayPrecedence] = "configured"
    relay_mode: ClassVar[Mode] = "redirect"
    needs_region: ClassVar[bool] = True  # STS is regional

    def __init__(self, profile: Profile, http: HttpFactory, clock: Clock) -> None:
        self.profile = profile
        self.http = http
        self.clock = clock
        self._discovered: IdpMetadata | None = None
        values = profile.values
        missing = [key for key in self.session_keys if not values.get(key)]
        if missing:
            raise ConfigError(
                f"profile {profile.name} lacks {', '.join(missing)}: "
                f"run `awslogin configure --profile {profile.name}`"
            )
        self.issuer = values[ISSUER_KEY].rstrip("/")
        self.client_id = values[CLIENT_ID_KEY]
        self.role_arn = values[ROLE_ARN_KEY]
        self.scopes = values.get(SCOPES_KEY) or DEFAULT_SCOPES
        try:
            self.duration = int(values.get(DURATION_KEY) or DEFAULT_DURATION)
        except ValueError as exc:
            raise ConfigError(f"profile {profile.name}: {DURATION_KEY} is not a number") from exc
        # Read before the sign-in: a key nobody can use is said before the person signs in.
        self.session_limit = session_limit(profile.name, values, SESSION_LIMIT_SECONDS)

    # -- STS and records ---------------------------------------------------------------

    def _assume_role(
        self, client: httpx.Client, id_token: str, claims: dict[str, Any], session_expires_at: int
    ) -> RoleCredentials:
        remaining = int(session_expires_at - self.clock.now())
        return assume_role_with_web_identity(
            client,
            sts_endpoint(self.profile),
            self.role_arn,
            role_session_name(claims),
            id_token,
            min(self.duration, max(remaining, 0)),
        )

    def _record(
        self,
        credentials: RoleCredentials,
        claims: dict[str, Any],
        session: SessionWindow,
        state: ProviderState,
    ) -> SessionRecord:
        subject = claims.get("sub")
        return SessionRecord(
            provider=self.name,
            profile=self.profile.name,
            config={key: self.profile.values[key] for key in self.session_keys},
            identity=Identity(
                arn=credentials.assumed_role_arn,
                subject=subject if isinstance(subject, str) else None,
            ),
            credentials=new_credentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                credentials.expires_at,
            ),
            session=session,
            providerState=state,
        )

    # -- sign-in ------------------------------------------------------------------------

    def _metadata(self) -> IdpMetadata:
        """The IdP's discovery document, fetched once per login."""
        if self._discovered is None:
            with self.http.client() as client:
                self._discovered = discover(client, self.issuer)
        return self._discovered

    def _code_sign_in(
        self, client: httpx.Client, metadata: IdpMetadata, flow: AuthorizationFlow
    ) -> tuple[dict[str, Any], str]:
        """The token endpoint's answer to an authorization code (PKCE S256) sign-in, and
        the nonce its ID token must carry. Redirected to the loopback listener or the relay,
        or pasted: the address a browser on another device failed to open."""
        verifier, state, nonce = new_verifier(), new_state(), new_state()

        def build(redirect_uri: str | None) -> AuthorizationRequest:
            return AuthorizationRequest.for_code(
                metadata.authorization_endpoint,
                client_id=self.client_id,
                redirect_uri=redirect_uri or unheard_loopback_redirect(),
                state=state,
                scope=self.scopes,
                nonce=nonce,
                code_challenge=challenge_s256(verifier),
                code_challenge_method="S256",
            )

        response = flow.authorize(build)
        code = check_callback(
            redirect_params(response.params, response.request),
            response.request,
            party="the identity provider",
            issuer=self.issuer,
            issuer_promised=metadata.iss_parameter_supported,
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": response.request.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        return token_request(client, metadata.token_endpoint, form, refreshing_for=None), nonce

    def _device_sign_in(
        self, client: httpx.Client, metadata: IdpMetadata, flow: DeviceFlow
    ) -> dict[str, Any]:
        """The token endpoint's answer once the person entered the device code (RFC 8628)."""
        endpoint = metadata.device_authorization_endpoint
        if endpoint is None:
            raise ProviderError(f"the identity provider at {self.issuer} offers no device code")
        authorization, device_code = start_device_authorization(
            client, endpoint, self.client_id, self.scopes
        )
        return device_tokens(
            client,
            flow,
            authorization,
            device_code=device_code,
            token_endpoint=metadata.token_endpoint,
            client_id=self.client_id,
        )

    def _new_session(
        self,
        client: httpx.Client,
        metadata: IdpMetadata,
        tokens: dict[str, Any],
        nonce: str | None,
    ) -> SessionRecord:
        """The session of a sign-in's tokens: the ID token validated (its nonce checked when
        the sign-in sent one: the device grant has none), then the role assumed with it."""
        id_token = tokens["id_token"]
        claims = validate_id_token(
            client,
            metadata.jwks_uri,
            id_token,
            issuer=self.issuer,
            client_id=self.client_id,
            nonce=nonce,
            nonce_required=nonce is not None,
        )
        now = self.clock.now()
        refresh_token = tokens.get("refresh_token")
        limit = self._session_limit(tokens, now)
        session = SessionWindow(startedAt=int(now), expiresAt=int(now + limit))
        credentials = self._assume_role(client, id_token, claims, session["expiresAt"])
        if not isinstance(refresh_token, str):
            # Without a refresh token the session cannot outlive these credentials.
            session["expiresAt"] = int(credentials.expires_at)
        state = ProviderState(
            issuer=self.issuer,
            clientId=self.client_id,
            tokenEndpoint=metadata.token_endpoint,
            jwksUri=metadata.jwks_uri,
            revocationEndpoint=metadata.revocation_endpoint,
            refreshToken=refresh_token if isinstance(refresh_token, str) else None,
            subject=claims["sub"] if isinstance(claims.get("sub"), str) else None,
        )
        if nonce is not None:
            state["nonce"] = nonce
        return self._record(credentials, claims, session, state)

    def _session_limit(self, tokens: dict[str, Any], now: float) -> float:
        """How long the new session lasts: the profile's `awslogin_session_limit` (12 h by
        default), or less when the IdP says its refresh token ends sooner, in the token
        response (`refresh_expires_in`) or in the token itself (a JWT's `exp`)."""
        limit = float(self.session_limit)
        lifetime = tokens.get("refresh_expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            limit = min(limit, float(lifetime))
        # Read unverified: a refresh token is opaque to its client, and its `exp` here can
        # only end the session sooner, never make it last longer.
        expires = id_token_claims(tokens.get("refresh_token")).get("exp")
        if isinstance(expires, int | float) and not isinstance(expires, bool) and expires > now:
            limit = min(limit, float(expires) - now)
        return limit

    # -- Provider interface ------------------------------------------------------------

    def remote_flow(self) -> RemoteFlow:
        """A device code when the IdP offers one (RFC 8628), else the pasted address."""
        return "device" if self._metadata().device_authorization_endpoint else "paste"

    def login(self, flow: SignInFlow) -> SessionRecord:
        metadata = self._metadata()
        with self.http.client() as client:
            if isinstance(flow, DeviceFlow):
                tokens, nonce = self._device_sign_in(client, metadata, flow), None
            else:
                tokens, nonce = self._code_sign_in(client, metadata, flow)
            return self._new_session(client, metadata, tokens, nonce)

    def refresh(self, record: SessionRecord) -> SessionRecord:
        state = record["providerState"].copy()
        refresh_token = state.get("refreshToken")
        if refresh_token is None:
            raise LoginRequired(self.profile.name, "the session has no refresh token")
        token_endpoint, jwks_uri = state.get("tokenEndpoint"), state.get("jwksUri")
        if token_endpoint is None or jwks_uri is None:
            raise LoginRequired(self.profile.name, "the cached session is incomplete")
        session = record["session"].copy()
        with self.http.client() as client:
            tokens = token_request(
                client,
                token_endpoint,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.client_id,
                },
                refreshing_for=self.profile.name,
            )
            id_token = tokens["id_token"]
            claims = validate_id_token(
                client,
                jwks_uri,
                id_token,
                issuer=self.issuer,
                client_id=self.client_id,
                nonce=state.get("nonce"),
                nonce_required=False,
                subject=state.get("subject"),
            )
            rotated = tokens.get("refresh_token")
            if isinstance(rotated, str):
                state["refreshToken"] = rotated
            credentials = self._assume_role(client, id_token, claims, session["expiresAt"])
        return self._record(credentials, claims, session, state)

    def revoke(self, record: SessionRecord) -> Revocation:
        state = record["providerState"]
        endpoint = state.get("revocationEndpoint")
        token = state.get("refreshToken")
        if token is None:
            return Revocation(False, "no refresh token to revoke")
        if endpoint is None:
            return Revocation(False, "the identity provider has no revocation endpoint")
        form = {"token": token, "token_type_hint": "refresh_token", "client_id": self.client_id}
        try:
            with self.http.client() as client:
                response = client.post(endpoint, data=form)
        except httpx.HTTPError as exc:
            return Revocation(
                False,
                f"could not reach {origin(endpoint)} to revoke: {failure_in_words(exc)}",
                failed=True,
            )
        if response.status_code == 200:
            return Revocation(True, f"refresh token revoked at {origin(endpoint)}")
        return Revocation(
            False,
            f"the identity provider refused the revocation (HTTP {response.status_code})",
            failed=True,
        )
