"""The continuity rule: which new identity a login or a renewal may save, and what is
said when it may not (docs/security.md, invariant 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from awslogin.errors import UsageError
from awslogin.profile import Profile
from awslogin.session_record import Identity, ProviderState, SessionRecord, SessionWindow
from awslogin.stores.record_file import RecordFile
from awslogin.usecases.identity_check import (
    IdentityMode,
    SessionIdentity,
    identity_of,
    judge,
    last_identity,
    profile_pin,
)

pytestmark = pytest.mark.unit

ALICE = "arn:aws:sts::123456789012:assumed-role/dev/alice@example.com"
BOB = "arn:aws:sts::123456789012:assumed-role/dev/bob@example.com"


def _who(arn: str) -> SessionIdentity:
    return SessionIdentity(arn, arn)


def _record(provider: str, identity: Identity, config: dict[str, str]) -> SessionRecord:
    return SessionRecord(
        provider=provider,
        profile="dev",
        config=config,
        identity=identity,
        session=SessionWindow(startedAt=0, expiresAt=0),
        providerState=ProviderState(),
    )


@pytest.mark.parametrize("previous", [None, _who(ALICE)])
def test_a_first_login_or_the_same_identity_is_saved_without_a_question(
    previous: SessionIdentity | None,
) -> None:
    verdict = judge("dev", _who(ALICE), previous, pin=None, mode="login", interactive=True)
    assert verdict.action == "save"


def test_another_identity_is_asked_about_in_a_terminal() -> None:
    verdict = judge("dev", _who(BOB), _who(ALICE), pin=None, mode="login", interactive=True)
    assert verdict.action == "ask"
    assert verdict.text == f"Profile dev was signed in as {ALICE}. Save {BOB} instead? (y/n)"


def test_another_identity_is_refused_without_a_terminal_unless_forced() -> None:
    refused = judge("dev", _who(BOB), _who(ALICE), pin=None, mode="login")
    assert refused.action == "refuse"
    assert refused.text == (
        f"profile dev was signed in as {ALICE}, not {BOB}; nothing was saved "
        "(confirm in a terminal, or pass --force)"
    )
    forced = judge("dev", _who(BOB), _who(ALICE), pin=None, mode="login", force=True)
    assert forced.action == "save"


def test_a_renewal_saves_only_the_same_identity_even_when_forced_or_asked() -> None:
    same = judge("dev", _who(ALICE), _who(ALICE), pin=None, mode="renewal")
    assert same.action == "save"
    other = judge(
        "dev", _who(BOB), _who(ALICE), pin=None, mode="renewal", force=True, interactive=True
    )
    assert other.action == "refuse"
    assert other.text == (
        f"the renewal of profile dev signed in as {BOB}, not {ALICE}; nothing was saved"
    )


@pytest.mark.parametrize("mode", ["login", "renewal"])
def test_the_pin_refuses_what_it_does_not_match_even_forced_or_first(mode: IdentityMode) -> None:
    pin = "arn:aws:sts::123456789012:assumed-role/dev/alice@*"
    assert judge("dev", _who(ALICE), _who(ALICE), pin=pin, mode=mode).action == "save"
    verdict = judge("dev", _who(BOB), None, pin=pin, mode=mode, force=True, interactive=True)
    assert verdict.action == "refuse"
    assert verdict.text == (
        f"profile dev expects {pin}, but the sign-in was as {BOB}; nothing was saved"
    )


def test_the_pin_is_a_case_sensitive_glob_over_the_whole_arn() -> None:
    def verdict(pin: str) -> str:
        return judge("dev", _who(ALICE), None, pin=pin, mode="login").action

    assert verdict("arn:aws:sts::123456789012:assumed-role/dev/*") == "save"
    assert verdict("arn:aws:sts::123456789012:assumed-role/DEV/*") == "refuse"
    assert verdict("arn:aws:sts::123456789012:assumed-role/dev") == "refuse"  # no prefix match
    assert verdict("*:assumed-role/dev/alice@example.co?") == "save"


def test_identities_are_shown_on_one_line_whatever_they_hold() -> None:
    hostile = _who("arn:aws:sts::1:assumed-role/dev/\x1b[2Jmallory\nnext")
    verdict = judge("dev", hostile, _who(ALICE), pin=None, mode="login", interactive=True)
    assert "\x1b" not in verdict.text
    assert "\n" not in verdict.text
    assert "\\x1b[2Jmallory next" in verdict.text


def test_what_identifies_a_session_per_provider() -> None:
    oidc = _record("oidc", Identity(arn=ALICE, subject="alice"), {})
    assert identity_of(oidc) == _who(ALICE)
    signin = _record(
        "aws-signin",
        Identity(arn="ignored", subject="x"),
        {"login_session": "arn:aws:iam::123456789012:user/alice"},
    )
    assert identity_of(signin) == _who("arn:aws:iam::123456789012:user/alice")
    # sso: the assumed-role ARN STS gave names the Identity Center user.
    arn = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_dev_0a1b/alice"
    sso = _record("sso", Identity(arn=arn, accountId="123456789012", roleName="dev"), {})
    assert identity_of(sso) == SessionIdentity(arn, arn, "123456789012/dev")
    # A record saved before awslogin asked STS: its account and role, and no more.
    shown = "role dev in account 123456789012 (SSO session corp)"
    old = _record("sso", Identity(arn=shown, accountId="123456789012", roleName="dev"), {})
    assert identity_of(old) == SessionIdentity(
        "123456789012/dev", shown, "123456789012/dev", precise=False
    )
    # A record that does not say who (sso derived from a token alone) has no identity.
    assert identity_of(_record("sso", Identity(), {})) is None
    assert identity_of(_record("oidc", Identity(), {})) is None


def test_the_identity_a_profile_last_had(tmp_path: Path) -> None:
    environ = {"AWSLOGIN_CACHE_DIR": str(tmp_path)}
    oidc = Profile("dev", {"awslogin_provider": "oidc"}, environ=environ)
    store = RecordFile("oidc", oidc)
    assert last_identity(oidc, store) is None
    store.save(_record("oidc", Identity(arn=ALICE), {}))
    assert last_identity(oidc, store) == _who(ALICE)
    # aws-signin: the profile's login_session, even when its cache file is gone.
    arn = "arn:aws:iam::123456789012:user/alice"
    values = {"awslogin_provider": "aws-signin", "login_session": arn}
    signin = Profile("dev", values, environ=environ)
    assert last_identity(signin, RecordFile("aws-signin", signin)) == _who(arn)


def test_every_provider_can_be_pinned() -> None:
    values = {"sso_session": "corp", "awslogin_expected_identity": "*/alice"}
    assert profile_pin(Profile("dev", values, environ={})) == "*/alice"
    oidc = Profile("dev", {"awslogin_expected_identity": " arn:* "}, environ={})
    assert profile_pin(oidc) == "arn:*"
    with pytest.raises(UsageError, match="must be one ARN pattern"):
        profile_pin(Profile("dev", {"awslogin_expected_identity": "a\x1bb"}, environ={}))


def test_sso_continuity_compares_the_user_and_falls_back_to_the_role_for_old_records() -> None:
    def sso(arn: str, role: str = "dev") -> SessionIdentity:
        record = _record("sso", Identity(arn=arn, accountId="123456789012", roleName=role), {})
        found = identity_of(record)
        assert found is not None
        return found

    alice = sso("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_dev_0a1b/alice")
    bob = sso("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_dev_0a1b/bob")
    before = sso("role dev in account 123456789012 (SSO session corp)")
    other_role = sso("role ops in account 123456789012 (SSO session corp)", role="ops")
    assert judge("dev", alice, alice, pin=None, mode="renewal").action == "save"
    refused = judge("dev", bob, alice, pin=None, mode="renewal")
    assert refused.action == "refuse"
    assert "/bob, not arn:" in refused.text
    assert judge("dev", bob, alice, pin=None, mode="login").action == "refuse"
    # A record from before: the same account and role is all it can tell.
    assert judge("dev", bob, before, pin=None, mode="renewal").action == "save"
    assert judge("dev", alice, other_role, pin=None, mode="renewal").action == "refuse"
    # The pin holds whatever the last record says.
    pinned = judge("dev", bob, before, pin="*/alice", mode="login", force=True)
    assert pinned.action == "refuse"
