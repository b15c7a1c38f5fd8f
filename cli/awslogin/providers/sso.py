"""Provider `sso`: IAM Identity Center, as `aws sso login` / `aws sso logout` do it.

A profile names an sso-session, an account and a role. The sign-in belongs to the session
(botocore's token file, see `sso_auth`), so signing in through one profile serves them
all; role credentials come from the portal's GetRoleCredentials and are cached per
profile by awslogin (see stores/sso.py) for `credential-process`.

On a remote host the default is the device code (`remote_flow`); the relay, when named
for the login, runs in paste mode (`relay_mode`): IAM Identity Center only redirects to the
registered 127.0.0.1 address, so the person pastes that failed address on the relay page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from awslogin.adapters.clock import Clock
from awslogin.adapters.files import delete_file
from awslogin.adapters.http import HttpFactory
from awslogin.adapters.sso_cache import (
    SsoToken,
    aws_cli_role_credentials,
    cached_tokens,
    parse_token,
    token_fields,
)
from awslogin.adapters.token_cache import TokenCache, cache_dir, cached_sessions
from awslogin.crypto.sigv4 import SigningCredentials
from awslogin.errors import ConfigError, LoginRequired, ProviderError
from awslogin.flows.base import Mode
from awslogin.profile import (
    SSO_ACCOUNT_KEY,
    SSO_PROFILE_KEYS,
    SSO_ROLE_KEY,
    SSO_SESSION_KEY,
    Profile,
    service_endpoint,
)
from awslogin.providers.base import RelayPrecedence, RemoteFlow, Revocation, SignInFlow
from awslogin.providers.sso_api import AccountInfo, PortalClient, PortalError, RoleCredentials
from awslogin.providers.sso_auth import SsoSession, SsoSessionAuth
from awslogin.providers.sts import get_caller_identity, sts_endpoint
from awslogin.session_record import (
    Identity,
    ProviderState,
    SessionRecord,
    SessionWindow,
    new_credentials,
)
from awslogin.stores.sso import PROVIDER, caller_arn, profile_session_limit, session_end

SIGNED_OUT = "Successfully signed out of all SSO profiles."


class SsoProvider:
    name: ClassVar[str] = PROVIDER
    session_keys: ClassVar[tuple[str, ...]] = SSO_PROFILE_KEYS
    relay_precedence: ClassVar[RelayPrecedence] = "named"  # the device code is better
    relay_mode: ClassVar[Mode] = "paste"
    needs_region: ClassVar[bool] = False  # the sso-session names its own

    def __init__(self, profile: Profile, http: HttpFactory, clock: Clock) -> None:
        self.profile = profile
        self.http = http
        self.clock = clock
        values = profile.values
        missing = [key for key in SSO_PROFILE_KEYS if not values.get(key)]
        if missing:
            raise ConfigError(
                f"profile {profile.name} lacks {', '.join(missing)}: "
                f"run `awslogin configure --provider sso --profile {profile.name}`"
            )
        self.session = SsoSession.from_section(values[SSO_SESSION_KEY], profile.sso_session)
        self.account_id = values[SSO_ACCOUNT_KEY]
        self.role_name = values[SSO_ROLE_KEY]
        self.auth = SsoSessionAuth(
            self.session, profile.environ, self.session.oidc_endpoint(profile), http, clock
        )
        self.portal_url = self.session.portal_endpoint(profile)
        # Read before the sign-in: a key nobody can use is said before the person signs in.
        self.session_limit = profile_session_limit(profile)

    def _role_credentials(self, access_token: str) -> RoleCredentials:
        try:
            with self.http.client() as client:
                return PortalClient(client, self.portal_url).get_role_credentials(
                    access_token, self.account_id, self.role_name
                )
        except PortalError as refused:
            if refused.kind == "UnauthorizedException":
                raise LoginRequired(
                    self.profile.name,
                    f"the SSO session {self.session.name} is no longer valid (signed out?)",
                ) from None
            if refused.kind in ("ForbiddenException", "ResourceNotFoundException"):
                raise ProviderError(
                    f"SSO session {self.session.name} has no access to role {self.role_name} "
                    f"in account {self.account_id}: check the profile "
                    f"(`awslogin configure --provider sso --profile {self.profile.name}`)"
                ) from None
            raise

    def _caller_arn(self, credentials: RoleCredentials) -> str:
        """Who the role credentials belong to, as STS says:
        arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_<set>_<id>/<user name>. The
        portal does not say which user signed in; STS does, and continuity compares it
        (docs/security.md, invariant 14). A login whose caller STS does not tell fails:
        its identity could not be checked."""
        signer = SigningCredentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        with self.http.client() as client:
            return get_caller_identity(
                client, sts_endpoint(self.profile), signer, self.profile.region, self.clock
            )

    def _record(
        self,
        credentials: RoleCredentials,
        token: SsoToken | None,
        started: float,
        caller: str | None,
    ) -> SessionRecord:
        """The session of these role credentials, signed in at `started` (stores/sso.py
        caps its end with the profile's `awslogin_session_limit`) by `caller` (the
        assumed-role ARN; None for a session whose sign-in STS was never asked about)."""
        now = self.clock.now()
        end = session_end(token, started, self.session_limit, now)
        return SessionRecord(
            provider=self.name,
            profile=self.profile.name,
            config={key: self.profile.values[key] for key in SSO_PROFILE_KEYS},
            identity=Identity(
                arn=caller
                or f"role {self.role_name} in account {self.account_id} "
                f"(SSO session {self.session.name})",
                accountId=self.account_id,
                roleName=self.role_name,
            ),
            credentials=new_credentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                credentials.expires_at,
            ),
            session=SessionWindow(startedAt=int(started), expiresAt=int(end)),
            providerState=ProviderState(
                ssoSession=self.session.name,
                startUrl=self.session.start_url,
                ssoRegion=self.session.region,
            ),
        )

    # -- Provider interface ------------------------------------------------------------

    def remote_flow(self) -> RemoteFlow:
        return "device"

    def login(self, flow: SignInFlow) -> SessionRecord:
        """The new session, its token carried to the store (`ssoToken`): nothing of a
        sign-in is written before the login decides that it may be saved."""
        token = self.auth.sign_in(flow)
        started = self.clock.now()
        credentials = self._role_credentials(token["accessToken"])
        record = self._record(credentials, token, started, self._caller_arn(credentials))
        record["providerState"]["ssoToken"] = token_fields(token)
        return record

    def refresh(self, record: SessionRecord) -> SessionRecord:
        access_token = self.auth.access_token(self.profile.name)
        credentials = self._role_credentials(access_token)
        token = self.auth.token_file.load()
        if token is None:  # `aws sso logout` meanwhile: these credentials are not handed out
            raise LoginRequired(self.profile.name, f"signed out of SSO session {self.session.name}")
        # The sign-in time stays: the session's limit counts from it, not from a refresh.
        started = record["session"]["startedAt"] or self.clock.now()
        # The same sign-in: who it is stays what STS said at the login.
        return self._record(credentials, token, started, caller_arn(record))

    def revoke(self, record: SessionRecord) -> Revocation:
        """Sign out at the portal with the record's own token: a new sign-in still carries
        it (`ssoToken`: one that a profile refuses ends itself, never the session saved
        before it); a saved session's is in botocore's token file."""
        token = parse_token(record["providerState"].get("ssoToken")) or self.auth.token_file.load()
        if token is None:
            return Revocation(False, f"not signed in to SSO session {self.session.name}")
        try:
            with self.http.client() as client:
                PortalClient(client, self.portal_url).logout(token["accessToken"])
        except ProviderError as failed:
            return Revocation(False, failed.message)
        return Revocation(True, f"signed out of SSO session {self.session.name}")

    # -- for `configure` ---------------------------------------------------------------

    def accounts(self, access_token: str) -> list[AccountInfo]:
        with self.http.client() as client:
            return PortalClient(client, self.portal_url).list_accounts(access_token)

    def roles(self, access_token: str, account_id: str) -> list[str]:
        with self.http.client() as client:
            return PortalClient(client, self.portal_url).list_account_roles(
                access_token, account_id
            )


def _portal_for_token(token: SsoToken, environ: Mapping[str, str]) -> str | None:
    region = token.get("region")
    if not region:
        return None
    return service_endpoint("SSO", f"https://portal.sso.{region}.amazonaws.com", environ)


def sign_out_everywhere(environ: Mapping[str, str], http: HttpFactory) -> list[str]:
    """Like `aws sso logout`: Logout for every cached token, then remove every SSO token and
    every cached SSO role credential (awslogin's and the AWS CLI's)."""
    failures = []
    for path, token in cached_tokens(environ):
        portal = _portal_for_token(token, environ) if token is not None else None
        if token is not None and portal is not None:
            try:
                with http.client() as client:
                    PortalClient(client, portal).logout(token["accessToken"])
            except PortalError:
                pass  # an expired or already ended session: nothing left to end
            except ProviderError as failed:
                failures.append(failed.message)
        delete_file(path)
    directory = cache_dir(environ)
    for provider, profile in cached_sessions(directory):
        if provider == PROVIDER:
            TokenCache(directory, provider, profile).delete()
    for path in aws_cli_role_credentials(environ):
        delete_file(path)
    lines = [SIGNED_OUT]
    if failures:
        lines.append(
            f"(the sign-out call failed, the local cache is removed anyway: {failures[0]})"
        )
    return lines
