"""A profile of the AWS config file: every key awslogin reads or writes, and the `Profile`
a command builds once and hands to providers and stores.

The keys are named here and nowhere else. Some are awslogin's own (`awslogin_*`); the
others are botocore's, read as the AWS SDKs read them (`region`, `services`...) or
written as the AWS CLI writes them (`aws configure sso`, `aws login`), so that one
profile serves awslogin, the AWS CLI and every SDK alike.

Light on purpose: `credential-process` builds a Profile on every SDK start, so this is a
plain class (a dataclass would import `inspect`) over regular expressions and strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from awslogin.adapters.aws_config import AwsConfig
from awslogin.errors import UsageError

# -- awslogin's own keys ----------------------------------------------------------------
PROVIDER_KEY = "awslogin_provider"  # oidc, aws-signin or sso
RELAY_KEY = "awslogin_relay"  # the relay of remote logins
ISSUER_KEY = "awslogin_issuer"  # oidc
CLIENT_ID_KEY = "awslogin_client_id"  # oidc
ROLE_ARN_KEY = "awslogin_role_arn"  # oidc
SCOPES_KEY = "awslogin_scopes"  # oidc
DURATION_KEY = "awslogin_duration_seconds"  # oidc
EXPECTED_IDENTITY_KEY = "awslogin_expected_identity"  # a glob over the caller ARN
SESSION_LIMIT_KEY = "awslogin_session_limit"  # oidc, sso: seconds a sign-in lasts at most
NOTIFY_KEY = "awslogin_notify"  # Apprise URLs for sign-in links, by spaces or commas
NOTIFY_ENV = "AWSLOGIN_NOTIFY"  # the same, from the environment (before the profile's)

# -- botocore's keys ---------------------------------------------------------------------
REGION_KEY = "region"
CREDENTIAL_PROCESS_KEY = "credential_process"
ENDPOINT_URL_KEY = "endpoint_url"
SERVICES_KEY = "services"  # names a [services NAME] section of endpoint overrides
LOGIN_SESSION_KEY = "login_session"  # aws-signin, as `aws login` writes it
SSO_SESSION_KEY = "sso_session"  # sso, as `aws configure sso` writes it
SSO_ACCOUNT_KEY = "sso_account_id"  # sso
SSO_ROLE_KEY = "sso_role_name"  # sso
# What an sso profile names: the sso-session, and the account and role to use through it.
SSO_PROFILE_KEYS = (SSO_SESSION_KEY, SSO_ACCOUNT_KEY, SSO_ROLE_KEY)
# Keys of another credential style, which awslogin never mixes with its own.
ACCESS_KEY_ID_KEY = "aws_access_key_id"
ASSUME_ROLE_KEY = "role_arn"
WEB_IDENTITY_KEY = "web_identity_token_file"

# -- keys of a [sso-session NAME] section ------------------------------------------------
SSO_START_URL_KEY = "sso_start_url"  # also a legacy profile's own sso key
SSO_REGION_KEY = "sso_region"
SSO_SCOPES_KEY = "sso_registration_scopes"

# Keys that give a profile another way to get credentials: configure refuses to add
# awslogin's keys to such a profile, since the SDKs would silently pick one of the two.
FOREIGN_CREDENTIAL_KEYS = (
    ACCESS_KEY_ID_KEY,
    ASSUME_ROLE_KEY,
    WEB_IDENTITY_KEY,
    SSO_SESSION_KEY,
    SSO_START_URL_KEY,
    LOGIN_SESSION_KEY,
)
# The services awslogin calls, as the `services` section and AWS_ENDPOINT_URL_* name them.
# `federation` (the console's sign-in URLs) is no SDK service: awslogin names it the same
# way so that tests and private deployments point it elsewhere alike.
SERVICE_IDS = ("sts", "sso", "sso_oidc", "signin", "federation")

# Compiled by `re` on first use: credential-process never checks a region.
_REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"


def check_region(region: str) -> str:
    """`region` if it is shaped like an AWS region name; a usage error otherwise."""
    if not re.match(_REGION_PATTERN, region):
        raise UsageError(f"{region!r} is not an AWS region name (like us-east-1)")
    return region


# Longer than any ARN (IAM caps a role ARN at 2048 characters); a pin is one ARN glob.
_EXPECTED_IDENTITY_MAX = 2048


def expected_identity(profile: str, values: Mapping[str, str]) -> str | None:
    """The profile's `awslogin_expected_identity` (a glob over the caller ARN), or None.

    Checked before any sign-in, so that a pin nobody could match (blank, a line break or
    another control character, an ARN's worth of text too long) is said at once rather
    than refusing every login after the person has signed in (docs/security.md,
    invariant 14, "Continuity").
    """
    pin = values.get(EXPECTED_IDENTITY_KEY)
    if pin is None:
        return None
    if not pin.strip() or not pin.isprintable() or len(pin) > _EXPECTED_IDENTITY_MAX:
        raise UsageError(
            f"profile {profile}: {EXPECTED_IDENTITY_KEY} must be one ARN pattern "
            f"(printable, at most {_EXPECTED_IDENTITY_MAX} characters)"
        )
    return pin.strip()


def session_limit(profile: str, values: Mapping[str, str], default: int) -> int:
    """The profile's `awslogin_session_limit` in seconds, or `default`: how long a sign-in
    may last at the most, for an IdP that ends sessions sooner than its tokens say."""
    text = values.get(SESSION_LIMIT_KEY)
    if text is None:
        return default
    try:
        seconds = int(text.strip())
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise UsageError(f"profile {profile}: {SESSION_LIMIT_KEY} must be a number of seconds")
    return seconds


def notify_destinations(
    given: Sequence[str], environ: Mapping[str, str], values: Mapping[str, str]
) -> list[str]:
    """Where sign-in links go: --notify (repeatable), else AWSLOGIN_NOTIFY, else the
    profile's `awslogin_notify` (both: URLs separated by spaces or commas), in the order
    a relay is chosen."""
    if given:
        return [url for each in given for url in split_destinations(each)]
    from_environment = split_destinations(environ.get(NOTIFY_ENV, ""))
    return from_environment or split_destinations(values.get(NOTIFY_KEY) or "")


def split_destinations(text: str) -> list[str]:
    """URLs given as one text, separated by spaces or commas (a URL has neither)."""
    return [part for part in re.split(r"[\s,]+", text) if part]


def normalize_relay_url(url: str) -> str:
    """The relay's base URL, as `awslogin_relay` and --relay give it; plain http only for a
    relay on this machine."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"relay URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError(f"relay URL {url} must use https (http only for 127.0.0.1)")
    if parts.query or parts.fragment:
        raise UsageError(f"relay URL {url} must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def configured_region(values: Mapping[str, str], environ: Mapping[str, str]) -> str | None:
    """AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`, as the SDKs look."""
    return (
        environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or values.get(REGION_KEY)
        or None
    )


def detected_provider(values: Mapping[str, str]) -> str | None:
    """The provider a profile names, or the one its keys imply, or None for other profiles.

    A profile the AWS CLI wrote for an sso-session is an `sso` profile as it stands, and
    one that `aws login` wrote is an `aws-signin` profile.
    """
    if values.get(PROVIDER_KEY):
        return values[PROVIDER_KEY]
    if values.get(SSO_SESSION_KEY):
        return "sso"
    if values.get(LOGIN_SESSION_KEY):
        return "aws-signin"
    return None


def credential_process_command(profile: str) -> str:
    """The `credential_process` line that makes the SDKs ask awslogin for this profile."""
    import shlex

    return f"awslogin credential-process --profile {shlex.quote(profile)}"


def other_credential_style(profile: str, values: Mapping[str, str]) -> str | None:
    """The other way this profile gets credentials, as `aws login` names them; None if none."""
    if WEB_IDENTITY_KEY in values:
        return "Web Identity"
    if any(key in values for key in (SSO_ROLE_KEY, SSO_ACCOUNT_KEY, SSO_SESSION_KEY)):
        return "SSO"
    if ACCESS_KEY_ID_KEY in values:
        return "Access Key"
    if ASSUME_ROLE_KEY in values:
        return "Assume Role"
    if values.get(CREDENTIAL_PROCESS_KEY) not in (None, credential_process_command(profile)):
        return "Credential Process"
    return None


def service_endpoint(
    service_id: str,
    default: str,
    environ: Mapping[str, str],
    values: Mapping[str, str] | None = None,
    services: Mapping[str, str] | None = None,
) -> str:
    """Where to reach an AWS service, resolved as the SDKs do, so tests and private
    deployments need no flag of their own: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
    the profile's `services` section, the profile's `endpoint_url`, then `default`.

    `service_id` is spelled as in the environment variables (STS, SSO_OIDC, SIGNIN).
    """
    specific = environ.get(f"AWS_ENDPOINT_URL_{service_id.upper()}")
    if specific:
        return specific
    if environ.get("AWS_ENDPOINT_URL"):
        return environ["AWS_ENDPOINT_URL"]
    configured = (services or {}).get(service_id.lower())
    if configured:
        return configured
    return (values or {}).get(ENDPOINT_URL_KEY) or default


class Profile:
    """One profile of the AWS config file, with everything a command reads from the file.

    `values` are the profile's own keys; `services` the endpoint overrides of the
    `[services NAME]` section it names (service id -> endpoint URL); `sso_session` the
    `[sso-session NAME]` section it names, or None. `region` is the region a command works
    in: the configured one (environment first), or the one the person gave for a login.
    Providers and stores receive this and never read the config file themselves.
    """

    __slots__ = ("environ", "name", "region", "services", "sso_session", "values")

    def __init__(
        self,
        name: str,
        values: Mapping[str, str],
        *,
        environ: Mapping[str, str],
        region: str | None = None,
        services: Mapping[str, str] | None = None,
        sso_session: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.values: Mapping[str, str] = dict(values)
        self.environ = environ
        self.region = region
        self.services: Mapping[str, str] = dict(services or {})
        self.sso_session = sso_session

    def __repr__(self) -> str:
        return f"Profile({self.name!r}, provider={self.provider!r}, region={self.region!r})"

    @property
    def provider(self) -> str | None:
        """The provider the profile names or implies (see `detected_provider`)."""
        return detected_provider(self.values)

    @property
    def role(self) -> str | None:
        """The AWS role this profile signs in to, as a person recognises it (the relay's
        confirmation page shows it); None when the sign-in itself chooses (aws-signin)."""
        values = self.values
        if values.get(ROLE_ARN_KEY):
            return values[ROLE_ARN_KEY]
        if values.get(SSO_ROLE_KEY) and values.get(SSO_ACCOUNT_KEY):
            return f"{values[SSO_ROLE_KEY]} in account {values[SSO_ACCOUNT_KEY]}"
        return None

    def endpoint(self, service_id: str, default: str) -> str:
        """The endpoint of an AWS service for this profile (see `service_endpoint`)."""
        return service_endpoint(service_id, default, self.environ, self.values, self.services)

    def with_region(self, region: str | None) -> Profile:
        """The same profile, working in `region` (a login's --region or answer)."""
        return Profile(
            self.name,
            self.values,
            environ=self.environ,
            region=region,
            services=self.services,
            sso_session=self.sso_session,
        )

    def with_values(self, updates: Mapping[str, str]) -> Profile:
        """The same profile with some keys as a session was made with (logout revokes
        with the issuer and client the session used, even if the profile changed since)."""
        return Profile(
            self.name,
            {**self.values, **updates},
            environ=self.environ,
            region=self.region,
            services=self.services,
            sso_session=self.sso_session,
        )


def load_profile(
    config: AwsConfig, name: str, environ: Mapping[str, str], *, region: str | None = None
) -> Profile:
    """Profile `name` of `config` (no values when it is not there yet: configure makes it)."""
    values = config.profile(name) or {}
    services: dict[str, str] = {}
    services_name = values.get(SERVICES_KEY)
    if services_name:
        for service in SERVICE_IDS:
            nested = config.nested(f"services {services_name}", service)
            if nested.get(ENDPOINT_URL_KEY):
                services[service] = nested[ENDPOINT_URL_KEY]
    session_name = values.get(SSO_SESSION_KEY)
    return Profile(
        name,
        values,
        environ=environ,
        region=region or configured_region(values, environ),
        services=services,
        sso_session=config.section(f"sso-session {session_name}") if session_name else None,
    )
