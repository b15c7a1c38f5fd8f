"""When a renewal starts, follows up and stops; the worker's answer read defensively."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest

from awslogin.usecases import renewal as renewal_module
from awslogin.usecases.renewal import AttemptResult, Renewal, RenewalOptions, _parse
from awslogin.usecases.renewal_status import renewal_line

pytestmark = pytest.mark.unit

NOW = 1_000_000.0


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The renewal's state file (`status`) goes beside the cache: under this test's home."""
    monkeypatch.setenv("HOME", str(tmp_path))


class Scripted(Renewal):
    """A renewal whose attempts answer as scripted, instantly."""

    def __init__(
        self, results: list[AttemptResult], environ: Mapping[str, str] | None = None
    ) -> None:
        self.said: list[str] = []
        self.audited: list[Mapping[str, str | int]] = []
        self.saved = 0

        async def on_saved() -> None:
            self.saved += 1

        super().__init__(
            "dev",
            environ or {},
            RenewalOptions(("json://127.0.0.1:9/x",), renew_before=60),
            say=self.said.append,
            audit=self.audited.append,
            on_saved=on_saved,
            clock=lambda: NOW,
        )
        self.results = results
        self.attempts = 0

    async def _attempt(self) -> AttemptResult:
        self.attempts += 1
        return self.results.pop(0)


async def settle(renewal: Renewal) -> None:
    while renewal.running:
        await asyncio.sleep(0)


async def test_it_starts_renew_before_the_end_and_not_sooner() -> None:
    renewal = Scripted([AttemptResult("saved", "signed in again")])
    renewal.consider(NOW + 61, refused=False)
    assert not renewal.running
    renewal.consider(NOW + 60, refused=False)
    assert renewal.running
    await settle(renewal)
    assert renewal.saved == 1
    assert "profile dev was renewed: serving the new credentials" in renewal.said
    assert {"outcome": "renewal_saved"} in renewal.audited


async def test_a_refused_refresh_starts_it_at_once() -> None:
    renewal = Scripted([AttemptResult("saved", "signed in again")])
    renewal.consider(None, refused=True)
    assert renewal.running
    await settle(renewal)


async def test_an_expired_pairing_is_followed_by_a_new_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(renewal_module, "QUICK_FAILURE_PAUSE", 0.0)
    renewal = Scripted(
        [
            AttemptResult("failed", "the pairing expired", (("json://127.0.0.1:9", "refused"),)),
            AttemptResult("refused", "the renewal signed in as someone else"),
            AttemptResult("saved", "signed in again"),
        ]
    )
    renewal.consider(NOW, refused=False)
    await settle(renewal)
    assert renewal.attempts == 3
    assert renewal.saved == 1
    assert {
        "outcome": "undelivered",
        "destination": "json://127.0.0.1:9",
        "reason": "refused",
    } in renewal.audited


async def test_a_refused_attempt_audits_whether_its_session_was_revoked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(renewal_module, "QUICK_FAILURE_PAUSE", 0.0)
    refused = "the renewal of profile dev signed in as bob, not alice; nothing was saved"
    renewal = Scripted(
        [
            AttemptResult("refused", refused, revoked=True),
            AttemptResult("refused", refused, revoked=False),
            AttemptResult("saved", "signed in again"),
        ]
    )
    renewal.consider(NOW, refused=False)
    await settle(renewal)
    ended = [line for line in renewal.audited if line["outcome"] != "renewal_started"]
    assert ended == [
        {"outcome": "renewal_refused", "revoked": "yes"},
        {"outcome": "renewal_refused", "revoked": "no"},
        {"outcome": "renewal_saved"},
    ]
    assert f"renewal of profile dev: {refused}; sending a new link" in renewal.said


@pytest.mark.parametrize(("field", "revoked"), [(', "revoked": true', True), ("", None)])
def test_the_worker_says_whether_a_refused_session_was_revoked(
    field: str, revoked: bool | None
) -> None:
    stdout = f'{{"outcome": "refused", "message": "m", "undelivered": []{field}}}'.encode()
    assert _parse(stdout) == AttemptResult("refused", "m", (), revoked)


async def test_a_denial_stops_the_renewals_of_that_session_only() -> None:
    renewal = Scripted([AttemptResult("denied", "sign-in was denied at the identity provider")])
    renewal.consider(NOW + 30, refused=False)
    await settle(renewal)
    assert renewal.said[-1].startswith("renewals of profile dev stopped: sign-in was denied")
    renewal.consider(NOW + 30, refused=False)
    renewal.consider(None, refused=True)  # the session ended meanwhile
    assert not renewal.running
    renewal.results.append(AttemptResult("saved", "signed in again"))
    renewal.consider(NOW + 50, refused=False)  # a new session, signed in by hand
    assert renewal.running
    await settle(renewal)


async def test_a_profile_that_cannot_renew_from_a_phone_stops_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No relay and no device codes: one attempt, one line, `status` says why; no retry
    every 30 s for ever. A new session (a login by hand) may try again."""
    monkeypatch.setattr(renewal_module, "QUICK_FAILURE_PAUSE", 0.0)
    environ = {"AWSLOGIN_CACHE_DIR": str(tmp_path)}
    unusable = AttemptResult("unusable", "--notify needs a relay (awslogin_relay) or ...")
    renewal = Scripted([unusable, AttemptResult("saved", "signed in again")], environ)
    renewal.consider(None, refused=True)
    await settle(renewal)
    assert renewal.attempts == 1
    assert renewal.said[-1].startswith("renewals of profile dev stopped: --notify needs a relay")
    assert {"outcome": "renewal_unusable"} in renewal.audited
    line = renewal_line("dev", environ)
    assert line == "stopped (no relay, and no device codes); no link went out"
    renewal.consider(None, refused=True)
    assert not renewal.running
    renewal.consider(NOW + 50, refused=False)
    assert renewal.running
    await settle(renewal)
    assert renewal.saved == 1


async def test_a_logout_starts_no_renewal_and_withdraws_the_one_under_way() -> None:
    attempt_started = asyncio.Event()
    release = asyncio.Event()

    class Waiting(Scripted):
        async def _attempt(self) -> AttemptResult:
            self.attempts += 1
            attempt_started.set()
            await release.wait()  # the worker, SIGTERMed by signed_out, ends its pairing
            return self.results.pop(0) if self.results else AttemptResult("failed", "stopped")

    renewal = Waiting([])
    renewal.consider(NOW + 30, refused=False)
    await attempt_started.wait()
    renewal.signed_out()
    release.set()
    await settle(renewal)
    assert renewal.attempts == 1
    assert renewal.said[-1] == "renewal of profile dev withdrawn: it was signed out"
    assert renewal.audited[-1] == {"outcome": "renewal_withdrawn"}
    renewal.consider(None, refused=True)  # what the next looks find: still signed out
    assert not renewal.running
    renewal.signed_out()
    renewal.results.append(AttemptResult("saved", "signed in again"))
    renewal.consider(NOW + 30, refused=False)  # signed in again by hand
    assert renewal.running
    await settle(renewal)
    assert renewal.saved == 1


async def test_closed_it_starts_nothing() -> None:
    renewal = Scripted([])
    await renewal.close()
    renewal.consider(None, refused=True)
    assert not renewal.running


@pytest.mark.parametrize(
    "stdout", [b"", b"not json", b"{}", b'{"outcome": "saved"}', b'{"outcome": 1, "message": 2}']
)
def test_a_worker_answer_that_is_not_one_is_a_failure(stdout: bytes) -> None:
    assert _parse(stdout) == AttemptResult(
        "failed", "the renewal worker gave no answer (run with --debug)"
    )
