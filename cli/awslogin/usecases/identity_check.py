"""Whether a new session may be saved for a profile: the one rule of identity continuity.

A session is saved over the profile's last one only when it is the same person in the
same role, or when someone said so (docs/security.md, invariant 14, "Continuity"):

1. a profile's `awslogin_expected_identity` pin must match the caller ARN, always;
2. the same identity as before (or none before) is saved;
3. a renewal (`mode="renewal"`) saves nothing else;
4. a login with `--force` saves any identity; an interactive one asks; any other refuses.

`judge` decides and never does: the caller asks, saves or raises, so that a renewal
(serve and exec starting a sign-in before the session ends) can use the same rule.
What counts as "the same" differs per provider (`identity_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from awslogin.errors import AwsloginError, one_line
from awslogin.profile import LOGIN_SESSION_KEY, Profile, expected_identity
from awslogin.providers.base import Revocation
from awslogin.session_record import SessionRecord
from awslogin.stores import SessionStore
from awslogin.stores.sso import caller_arn

IdentityMode = Literal["login", "renewal"]
Action = Literal["save", "ask", "refuse"]


class IdentityRefused(AwsloginError):
    """A sign-in that the profile may not save. The terminal is told who signed in and
    who was expected; the browser or phone (`outside`) only that it was not saved: the
    person there need not be the one the profile was signed in as, and learns nothing of
    them (docs/security.md, invariants 11 and 13)."""

    outside = "this sign-in was not saved: it is not the identity this profile expects"
    # What the login did with the refused session at its provider (usecases/login.py
    # revokes it); None until it tried.
    revocation: Revocation | None = None


@dataclass(frozen=True)
class SessionIdentity:
    """Who a session is, as continuity compares it.

    `key` is what stays the same for the same person in the same role; `caller` the ARN
    a pin is matched against and a person is shown. An sso session also has its
    `role_key` (account/role): a record saved before awslogin asked STS who signed in
    (`precise` False) is compared with the next one by that alone.
    """

    key: str
    caller: str
    role_key: str | None = None
    precise: bool = True

    def same_as(self, other: SessionIdentity) -> bool:
        """The same person in the same role, as far as both records can tell."""
        if self.key == other.key:
            return True
        coarse = not (self.precise and other.precise)
        return coarse and self.role_key is not None and self.role_key == other.role_key


@dataclass(frozen=True)
class Verdict:
    """What to do with the new session; `text` is the question or the refusal, one line."""

    action: Action
    text: str = ""


def identity_of(record: SessionRecord) -> SessionIdentity | None:
    """The identity of a session, or None when its record does not say.

    * oidc: the assumed-role ARN STS returned (arn:aws:sts::A:assumed-role/R/S): the
      session name S comes from the ID token's email, username or subject, so the whole
      ARN is the same only for the same person in the same role.
    * aws-signin: `login_session`, the ARN AWS Sign-In reports for the person (a user,
      a role session or the root): it names the session, so it is the identity.
    * sso: the assumed-role ARN STS gave for the role credentials
      (arn:aws:sts::A:assumed-role/AWSReservedSSO_<set>_<id>/<user name>), the same
      only for the same Identity Center user in the same role; a record saved before
      awslogin asked STS has only the account and role, and is compared by those.
    """
    identity = record["identity"]
    if record["provider"] == "aws-signin":
        session = record["config"].get(LOGIN_SESSION_KEY)
        return SessionIdentity(session, session) if session else None
    if record["provider"] == "sso":
        account, role = identity.get("accountId"), identity.get("roleName")
        role_key = f"{account}/{role}" if account and role else None
        arn = caller_arn(record)
        if arn is not None:
            return SessionIdentity(arn, arn, role_key)
        if role_key is None:
            return None
        return SessionIdentity(role_key, identity.get("arn") or role_key, role_key, precise=False)
    arn = identity.get("arn")
    return SessionIdentity(arn, arn) if arn else None


def profile_pin(profile: Profile) -> str | None:
    """The profile's pin, checked (for blanks and control characters) before a sign-in."""
    return expected_identity(profile.name, profile.values)


def last_identity(profile: Profile, store: SessionStore) -> SessionIdentity | None:
    """The identity the profile last had: aws-signin's `login_session` (the profile names
    it, even after the cache file is gone), else the stored session's, ended or not."""
    if profile.provider == "aws-signin":
        session = profile.values.get(LOGIN_SESSION_KEY)
        return SessionIdentity(session, session) if session else None
    record = store.load()
    return identity_of(record) if record is not None else None


def judge(
    profile: str,
    new: SessionIdentity,
    previous: SessionIdentity | None,
    *,
    pin: str | None,
    mode: IdentityMode,
    force: bool = False,
    interactive: bool = False,
) -> Verdict:
    """Whether the session of `new` may replace the profile's `previous` one (see above)."""
    shown_new = one_line(new.caller)
    if pin is not None and not fnmatchcase(new.caller, pin):
        return Verdict(
            "refuse",
            f"profile {profile} expects {one_line(pin)}, but the sign-in was as {shown_new}; "
            "nothing was saved",
        )
    if previous is None or new.same_as(previous):
        return Verdict("save")
    shown_old = one_line(previous.caller)
    if mode == "renewal":
        return Verdict(
            "refuse",
            f"the renewal of profile {profile} signed in as {shown_new}, not {shown_old}; "
            "nothing was saved",
        )
    if force:
        return Verdict("save")
    if interactive:
        question = f"Profile {profile} was signed in as {shown_old}. Save {shown_new} instead?"
        return Verdict("ask", f"{question} (y/n)")
    return Verdict(
        "refuse",
        f"profile {profile} was signed in as {shown_old}, not {shown_new}; nothing was saved "
        "(confirm in a terminal, or pass --force)",
    )
