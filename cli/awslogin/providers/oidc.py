"""Provider `oidc`: any OpenID Connect IdP with a public client (PKCE S256), turned into
AWS credentials by STS AssumeRoleWithWebIdentity.

The ID token is validated here (JWKS signature, iss, aud, exp, nonce) before it is
presented to STS: STS would check it too, but a token we did not validate must never
become the identity the user is told they signed in as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import jwt

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import HttpFactory, redacted_url
from awslogin.crypto.pkce import challenge_s256, new_state, new_verifier, same_secret
from awslogin.errors import ConfigError, LoginRequired, ProviderError, one_line
from awslogin.flows.base import AuthorizationRequest, Mode
from awslogin.flows.callback import check_callback
from awslogin.profile import (
    CLIENT_ID_KEY,
    DURATION_KEY,
    ISSUER_KEY,
    ROLE_ARN_KEY,
    SCOPES_KEY,
    Profile,
)
from awslogin.providers.base import RemoteFlow, Revocation, SignInFlow, authorization_flow
from awslogin.providers.sts import RoleCredentials, assume_role_with_web_identity, role_session_name
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
ALLOWED_ALGORITHMS = ("RS256", "ES256")
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class IdpMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str | None
    iss_parameter_supported: bool


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class OidcProvider:
    name: ClassVar[str] = "oidc"
    session_keys: ClassVar[tuple[str, ...]] = (ISSUER_KEY, CLIENT_ID_KEY, ROLE_ARN_KEY)
    remote_flow: ClassVar[RemoteFlow] = "relay"
    relay_mode: ClassVar[Mode] = "redirect"
    needs_region: ClassVar[bool] = True  # STS is regional

    def __init__(self, profile: Profile, http: HttpFactory, clock: Clock) -> None:
        self.profile = profile
        self.http = http
        self.clock = clock
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

    # -- HTTP helpers ------------------------------------------------------------------

    def _get_json(self, client: httpx.Client, url: str, what: str) -> dict[str, Any]:
        try:
            response = client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"cannot reach the identity provider at {_origin(url)} ({type(exc).__name__})"
            ) from exc
        if response.status_code != 200:
            raise ProviderError(
                f"the identity provider answered HTTP {response.status_code} for its {what} "
                f"at {redacted_url(response.request.url)}"
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(f"the identity provider's {what} is not JSON") from exc
        if not isinstance(body, dict):
            raise ProviderError(f"the identity provider's {what} is not a JSON object")
        return body

    def discover(self, client: httpx.Client) -> IdpMetadata:
        body = self._get_json(
            client, f"{self.issuer}/.well-known/openid-configuration", "OpenID configuration"
        )
        if body.get("issuer") != self.issuer:
            raise ProviderError(
                f"the identity provider says its issuer is {one_line(body.get('issuer'))!s}, "
                f"not {self.issuer}: check {ISSUER_KEY}"
            )
        endpoints = {}
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = body.get(key)
            if not isinstance(value, str) or not value:
                raise ProviderError(f"the identity provider's configuration has no {key}")
            endpoints[key] = value
        methods = body.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ProviderError("the identity provider does not support PKCE S256")
        revocation = body.get("revocation_endpoint")
        return IdpMetadata(
            issuer=self.issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            revocation_endpoint=revocation if isinstance(revocation, str) and revocation else None,
            iss_parameter_supported=body.get("authorization_response_iss_parameter_supported")
            is True,
        )

    def _token_request(
        self, client: httpx.Client, token_endpoint: str, form: dict[str, str], *, refreshing: bool
    ) -> dict[str, Any]:
        try:
            response = client.post(
                token_endpoint, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"cannot reach the identity provider at {_origin(token_endpoint)} "
                f"({type(exc).__name__})"
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200:
            error = one_line(body.get("error") or f"HTTP {response.status_code}", 60)
            description = one_line(body.get("error_description") or "")
            detail = f"{error}: {description}" if description else error
            if refreshing and error in ("invalid_grant", "invalid_token", "unauthorized_client"):
                raise LoginRequired(
                    self.profile.name,
                    f"the identity provider no longer accepts this session ({detail})",
                )
            action = "refresh the session" if refreshing else "exchange the authorization code"
            raise ProviderError(f"the identity provider refused to {action}: {detail}")
        if not isinstance(body.get("id_token"), str):
            if refreshing:
                raise LoginRequired(
                    self.profile.name, "the identity provider returned no ID token on refresh"
                )
            raise ProviderError(
                "the identity provider returned no ID token: the scopes must include `openid`"
            )
        return body

    # -- ID token ----------------------------------------------------------------------

    def validate_id_token(
        self,
        client: httpx.Client,
        jwks_uri: str,
        id_token: str,
        *,
        nonce: str,
        nonce_required: bool,
        subject: str | None = None,
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise ProviderError("the ID token is malformed") from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise ProviderError(
                f"the ID token is signed with {one_line(algorithm, 20)}; "
                f"only {' or '.join(ALLOWED_ALGORITHMS)} are accepted"
            )
        jwks = self._get_json(client, jwks_uri, "signing keys (JWKS)")
        key = self._signing_key(jwks, header.get("kid"), algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[algorithm],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise ProviderError(
                "the ID token's signature does not verify with the IdP's keys"
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise ProviderError(f"the ID token is not for client {self.client_id} (aud)") from exc
        except jwt.InvalidIssuerError as exc:
            raise ProviderError(f"the ID token was not issued by {self.issuer} (iss)") from exc
        except jwt.ExpiredSignatureError as exc:
            raise ProviderError(
                "the ID token has expired (exp): check this machine's clock"
            ) from exc
        except jwt.PyJWTError as exc:
            raise ProviderError(f"the ID token is not valid: {one_line(exc)}") from exc
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise ProviderError(
                "the ID token has several audiences and is not for this client (azp)"
            )
        received_nonce = claims.get("nonce")
        if received_nonce is None:
            if nonce_required:
                raise ProviderError("the ID token carries no nonce")
        elif not isinstance(received_nonce, str) or not same_secret(nonce, received_nonce):
            raise ProviderError("the ID token's nonce does not match this sign-in")
        if subject is not None and claims.get("sub") != subject:
            raise ProviderError("the refreshed ID token is for a different user (sub)")
        return claims

    @staticmethod
    def _signing_key(jwks: Mapping[str, Any], kid: object, algorithm: str) -> Any:
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise ProviderError("the identity provider's JWKS has no keys")
        candidates = [
            k
            for k in keys
            if isinstance(k, dict)
            and k.get("use", "sig") == "sig"
            and (kid is None or k.get("kid") == kid)
            and k.get("alg", algorithm) == algorithm
        ]
        if len(candidates) != 1:
            raise ProviderError(
                "no unique signing key in the IdP's JWKS matches the ID token (kid)"
            )
        try:
            return jwt.PyJWK(candidates[0], algorithm=algorithm).key
        except jwt.PyJWTError as exc:
            raise ProviderError(f"the IdP's signing key is unusable: {one_line(exc)}") from exc

    # -- STS and records ---------------------------------------------------------------

    def _sts_endpoint(self) -> str:
        region = self.profile.region
        default = f"https://sts.{region}.amazonaws.com" if region else "https://sts.amazonaws.com"
        return self.profile.endpoint("STS", default)

    def _assume_role(
        self, client: httpx.Client, id_token: str, claims: dict[str, Any], session_expires_at: int
    ) -> RoleCredentials:
        remaining = int(session_expires_at - self.clock.now())
        return assume_role_with_web_identity(
            client,
            self._sts_endpoint(),
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

    # -- Provider interface ------------------------------------------------------------

    def login(self, flow: SignInFlow) -> SessionRecord:
        authorization = authorization_flow(flow, self.name)
        verifier, state, nonce = new_verifier(), new_state(), new_state()
        with self.http.client() as client:
            metadata = self.discover(client)

            def build(redirect_uri: str | None) -> AuthorizationRequest:
                if redirect_uri is None:
                    raise ProviderError(
                        "the oidc provider needs a redirect flow (loopback or relay)"
                    )
                return AuthorizationRequest.for_code(
                    metadata.authorization_endpoint,
                    client_id=self.client_id,
                    redirect_uri=redirect_uri,
                    state=state,
                    scope=self.scopes,
                    nonce=nonce,
                    code_challenge=challenge_s256(verifier),
                    code_challenge_method="S256",
                )

            response = authorization.authorize(build)
            code = check_callback(
                response.params,
                response.request,
                party="the identity provider",
                issuer=self.issuer,
                issuer_promised=metadata.iss_parameter_supported,
            )
            tokens = self._token_request(
                client,
                metadata.token_endpoint,
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": response.request.redirect_uri,
                    "client_id": self.client_id,
                    "code_verifier": verifier,
                },
                refreshing=False,
            )
            id_token = tokens["id_token"]
            claims = self.validate_id_token(
                client, metadata.jwks_uri, id_token, nonce=nonce, nonce_required=True
            )
            now = self.clock.now()
            refresh_token = tokens.get("refresh_token")
            limit = SESSION_LIMIT_SECONDS
            refresh_lifetime = tokens.get("refresh_expires_in")
            if isinstance(refresh_lifetime, int | float) and refresh_lifetime > 0:
                limit = min(limit, int(refresh_lifetime))
            session = SessionWindow(startedAt=int(now), expiresAt=int(now + limit))
            credentials = self._assume_role(client, id_token, claims, session["expiresAt"])
            if not isinstance(refresh_token, str):
                # Without a refresh token the session cannot outlive these credentials.
                session["expiresAt"] = int(credentials.expires_at)
            state_record = ProviderState(
                issuer=self.issuer,
                clientId=self.client_id,
                tokenEndpoint=metadata.token_endpoint,
                jwksUri=metadata.jwks_uri,
                revocationEndpoint=metadata.revocation_endpoint,
                refreshToken=refresh_token if isinstance(refresh_token, str) else None,
                subject=claims["sub"] if isinstance(claims.get("sub"), str) else None,
                nonce=nonce,
            )
            return self._record(credentials, claims, session, state_record)

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
            tokens = self._token_request(
                client,
                token_endpoint,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.client_id,
                },
                refreshing=True,
            )
            id_token = tokens["id_token"]
            claims = self.validate_id_token(
                client,
                jwks_uri,
                id_token,
                nonce=state.get("nonce") or "",
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
                False, f"could not reach {_origin(endpoint)} to revoke ({type(exc).__name__})"
            )
        if response.status_code == 200:
            return Revocation(True, f"refresh token revoked at {_origin(endpoint)}")
        return Revocation(
            False, f"the identity provider refused the revocation (HTTP {response.status_code})"
        )
