"""LiveCredentials without a worker process: when it fetches, how many fetches a crowd
makes, what it answers after a failure, when the keeper wakes, what it tells the person."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from awslogin.adapters.watched_file import WatchedFile
from awslogin.cli.main import main
from awslogin.errors import AwsloginError
from awslogin.usecases.live_credentials import (
    FAILURE_HOLD_SECONDS,
    RECHECK_SECONDS,
    RETRY_SECONDS,
    LiveCredentials,
)
from awslogin.usecases.snapshot import Failure, Snapshot, parse_worker_answer
from tests.support.fake_idp import ISSUER, STS_URL, FakeIdp, sts_response, write_session

pytestmark = pytest.mark.unit

NOW = 1_800_000_000.0
ENDED = Failure("the session has reached its time limit: run `awslogin login --profile dev`", True)


def snapshot(key: str, expires_in: float, session_in: float = 12 * 3600) -> Snapshot:
    output = {
        "Version": 1,
        "AccessKeyId": key,
        "SecretAccessKey": "secret",
        "SessionToken": "token",
        "Expiration": "2027-01-15T08:00:00Z",
        "AccountId": "123456789012",
    }
    return Snapshot(output, NOW + expires_in, NOW + session_in)


class Scripted(LiveCredentials):
    """LiveCredentials whose worker answers from a script, slowly enough to pile up on."""

    def __init__(self, *answers: Snapshot | Failure) -> None:
        self.now = NOW
        self.said: list[str] = []
        super().__init__("dev", {}, say=self.said.append, clock=lambda: self.now)
        self.answers = list(answers)
        self.runs = 0

    async def _run_worker(self) -> Snapshot | Failure:
        self.runs += 1
        await asyncio.sleep(0.05)
        return self.answers.pop(0)


def test_the_container_body_uses_the_protocols_names() -> None:
    body = json.loads(snapshot("AKIA1", 3600).container_body())
    assert body == {
        "AccessKeyId": "AKIA1",
        "SecretAccessKey": "secret",
        "Token": "token",
        "Expiration": "2027-01-15T08:00:00Z",
        "AccountId": "123456789012",
    }


def test_worker_answers_are_parsed_and_garbage_is_a_failure() -> None:
    wire = json.dumps({"snapshot": snapshot("AKIA1", 60).to_wire()}).encode()
    assert parse_worker_answer(wire) == snapshot("AKIA1", 60)
    for signed_out in (True, False):
        wire = json.dumps(
            {"error": "login_required", "message": "m", "signedOut": signed_out}
        ).encode()
        assert parse_worker_answer(wire) == Failure("m", True, signed_out)
    for seen in ((1, 2, 3, 4), None):
        watched = replace(snapshot("AKIA1", 60), session_file=WatchedFile("/s.json", seen))
        wire = json.dumps({"snapshot": watched.to_wire()}).encode()
        assert parse_worker_answer(wire) == watched
    ended = json.dumps({"error": "login_required", "message": ENDED.message}).encode()
    assert parse_worker_answer(ended) == ENDED
    for garbage in (b"", b"{", b"[]", b'{"snapshot": {"output": {}}}', b'{"error": 1}'):
        failure = parse_worker_answer(garbage)
        assert isinstance(failure, Failure)
        assert not failure.login_required


async def test_fifty_requests_at_expiry_make_one_fetch() -> None:
    live = Scripted(snapshot("AKIA1", 600), snapshot("AKIA2", 3600))
    await live.start()
    live.now += 301  # inside the refresh margin
    answers = await asyncio.gather(*(live.answer() for _ in range(50)))
    assert live.runs == 2
    assert {json.loads(answer.body)["AccessKeyId"] for answer in answers} == {"AKIA2"}
    assert {answer.status for answer in answers} == {200}
    await live.answer()
    assert live.runs == 2  # fresh again: from memory


async def test_credentials_that_stay_short_are_not_fetched_at_every_request() -> None:
    # A refresh that failed (the IdP is down) leaves 4 minutes; a provider may give 8 s.
    live = Scripted(snapshot("AKIA1", 240), snapshot("AKIA1", 240 - RETRY_SECONDS))
    await live.start()
    for _ in range(10):
        assert (await live.answer()).status == 200
    assert live.runs == 1
    live.now += RETRY_SECONDS
    await live.answer()
    assert live.runs == 2
    short = Scripted(snapshot("AKIA1", 8), snapshot("AKIA2", 8))
    await short.start()
    short.now += 3.9
    await short.answer()
    assert short.runs == 1
    short.now += 0.2  # half the life is gone: ask again
    assert json.loads((await short.answer()).body)["AccessKeyId"] == "AKIA2"


async def test_after_the_session_ends_its_line_is_answered_and_said_once() -> None:
    live = Scripted(snapshot("AKIA1", 400), ENDED, ENDED, snapshot("AKIA3", 3600))
    await live.start()
    live.now += 101
    first = await live.answer()
    assert first.status == 403
    assert first.outcome == "login_required"
    assert json.loads(first.body) == {
        "code": "LoginRequired",
        "message": f"awslogin: {ENDED.message}",
    }
    for _ in range(5):  # held for a few seconds: no worker per request
        assert (await live.answer()).status == 403
    assert live.runs == 2
    live.now += FAILURE_HOLD_SECONDS
    assert (await live.answer()).status == 403
    assert live.runs == 3
    live.now += FAILURE_HOLD_SECONDS
    assert (await live.answer()).status == 200  # signed in again meanwhile
    assert live.said == [
        f"{ENDED.message}; until then, clients get this message",
        "profile dev is signed in again: serving its credentials",
    ]


async def test_a_logout_is_seen_at_the_next_request_not_at_the_next_look(
    tmp_path: Path,
) -> None:
    session = tmp_path / "oidc--dev.json"
    session.write_text("{}")
    watched = replace(snapshot("AKIA1", 3600), session_file=WatchedFile.now(str(session)))
    live = Scripted(watched, ENDED)
    await live.start()
    for _ in range(3):
        assert (await live.answer()).status == 200
    assert live.runs == 1  # the file is as it was: from memory, one stat() each
    session.unlink()  # `awslogin logout`, `aws sso logout`, `aws logout`
    assert (await live.answer()).status == 403
    assert live.runs == 2
    assert live.said == [f"{ENDED.message}; until then, clients get this message"]


async def test_a_logout_the_worker_fails_to_confirm_still_stops_the_credentials(
    tmp_path: Path,
) -> None:
    session = tmp_path / "oidc--dev.json"
    session.write_text("{}")
    watched = replace(snapshot("AKIA1", 3600), session_file=WatchedFile.now(str(session)))
    broken = Failure("profile dev is not in the config file", False)
    live = Scripted(watched, broken, broken)
    await live.start()
    session.unlink()
    for _ in range(3):
        refused = await live.answer()
        assert (refused.status, refused.outcome) == (503, "unavailable")
    assert live.runs == 2  # one look after the logout, then the failure's hold
    live.now += FAILURE_HOLD_SECONDS
    assert (await live.answer()).status == 503
    assert live.runs == 3


async def test_a_session_file_the_worker_already_saw_gone_is_looked_at_again() -> None:
    gone = replace(snapshot("AKIA1", 3600), session_file=WatchedFile("/nonexistent/x", None))
    live = Scripted(gone, ENDED)
    await live.start()
    assert (await live.answer()).status == 403


async def test_a_session_saved_while_short_credentials_are_held_is_served_at_once(
    tmp_path: Path,
) -> None:
    # STS gave 60 s, less than the margin: held for 30 s between looks. A renewal (or a
    # sign-in elsewhere) replaces the session's file: the next request gets its
    # credentials, not the held ones (docs/security.md, "Renewal").
    session = tmp_path / "oidc--dev.json"
    session.write_text("{}")
    short = replace(snapshot("AKIA1", 60), session_file=WatchedFile.now(str(session)))
    renewed = replace(snapshot("AKIA2", 60), session_file=None)
    live = Scripted(short, renewed)
    await live.start()
    live.now += 5
    assert json.loads((await live.answer()).body)["AccessKeyId"] == "AKIA1"
    assert live.runs == 1  # held
    session.with_suffix(".tmp").write_text('{"renewed": true}')
    session.with_suffix(".tmp").replace(session)
    assert json.loads((await live.answer()).body)["AccessKeyId"] == "AKIA2"
    assert live.runs == 2


async def test_a_look_under_way_when_the_session_is_saved_is_not_what_is_served(
    tmp_path: Path,
) -> None:
    session = tmp_path / "oidc--dev.json"
    session.write_text("{}")
    old = replace(snapshot("AKIA1", 3600), session_file=WatchedFile.now(str(session)))
    live = Scripted(old, replace(old, output={**old.output, "AccessKeyId": "AKIA1b"}),
                    snapshot("AKIA2", 3600))  # fmt: skip
    await live.start()
    under_way = asyncio.ensure_future(live.fetch())  # the keeper's look reads the old file
    await asyncio.sleep(0)
    session.with_suffix(".tmp").write_text('{"renewed": true}')
    session.with_suffix(".tmp").replace(session)
    assert json.loads((await live.answer()).body)["AccessKeyId"] == "AKIA2"
    assert live.runs == 3
    await under_way


async def test_a_failed_first_fetch_is_raised_as_its_line() -> None:
    live = Scripted(ENDED)
    with pytest.raises(Exception, match=r"time limit: run `awslogin login --profile dev`$"):
        await live.start()
    assert live.said == []


class Renewing:
    """A renewal that records what LiveCredentials tells it."""

    def __init__(self) -> None:
        self.seen: list[tuple[float | None, bool]] = []
        self.signed_out_count = 0

    def due_at(self, session_ends_at: float) -> float:
        return session_ends_at - 60

    def consider(self, session_ends_at: float | None, *, refused: bool) -> None:
        self.seen.append((session_ends_at, refused))

    def signed_out(self) -> None:
        self.signed_out_count += 1

    async def close(self) -> None:
        pass


SIGNED_OUT = Failure(
    "not signed in with profile dev: run `awslogin login --profile dev`", True, True
)


async def test_an_ended_session_with_a_renewal_starts_serving_login_required_and_renews() -> None:
    """serve started after the end (a reboot): it serves LoginRequired, renews at once,
    and serves the renewed session; without `ended_ok` (exec) it still refuses."""
    live = Scripted(ENDED, snapshot("AKIA2", 3600))
    renewing = Renewing()
    live.renewal = renewing  # type: ignore[assignment]
    assert await live.start(ended_ok=True) is None
    assert renewing.seen == [(None, True)]
    assert (await live.answer()).status == 403
    live.now += FAILURE_HOLD_SECONDS
    assert (await live.answer()).status == 200
    exec_like = Scripted(ENDED)
    exec_like.renewal = Renewing()  # type: ignore[assignment]
    with pytest.raises(AwsloginError, match="time limit"):
        await exec_like.start()
    without_renewal = Scripted(ENDED)
    with pytest.raises(AwsloginError, match="time limit"):
        await without_renewal.start(ended_ok=True)


async def test_a_logout_sends_no_renewal_link_and_says_so() -> None:
    """The session's file removed: LoginRequired as always, but the renewal is told it
    was signed out, not that a refresh was refused; a refused refresh still renews."""
    live = Scripted(snapshot("AKIA1", 3600), SIGNED_OUT, ENDED)
    renewing = Renewing()
    live.renewal = renewing  # type: ignore[assignment]
    await live.start()
    await live.fetch()
    assert renewing.seen == [(NOW + 12 * 3600, False)]
    assert renewing.signed_out_count == 1
    assert live.said == [
        f"{SIGNED_OUT.message}; until then, clients get this message "
        "(it was signed out: no renewal link is sent after a logout)"
    ]
    assert (await live.answer()).status == 403
    await live.fetch()
    assert renewing.seen[-1] == (None, True)


async def test_other_failures_keep_what_still_works_and_say_why_once() -> None:
    down = Failure("cannot reach the identity provider at https://idp: could not connect", False)
    live = Scripted(snapshot("AKIA1", 320), down, down, down)
    await live.start()
    live.now += 30
    assert json.loads((await live.answer()).body)["AccessKeyId"] == "AKIA1"
    live.now += RETRY_SECONDS
    await live.answer()
    assert live.runs == 3
    assert live.said == [f"cannot refresh profile dev: {down.message}"]
    live.now += 300
    expired = await live.answer()
    assert (expired.status, expired.outcome) == (503, "unavailable")
    assert json.loads(expired.body)["message"] == f"awslogin: {down.message}"


async def test_the_keeper_wakes_at_the_margin_the_hold_or_the_minute() -> None:
    live = Scripted(snapshot("AKIA1", 3600, session_in=2 * 3600))
    await live.start()
    assert live._seconds_to_next_look(NOW) == RECHECK_SECONDS
    live.now = NOW + 3600 - 300 - 10
    assert live._seconds_to_next_look(live.now) == pytest.approx(10.5)
    short = Scripted(snapshot("AKIA1", 8))
    await short.start()
    assert short._seconds_to_next_look(NOW) == pytest.approx(4.0)
    warns = Scripted(snapshot("AKIA1", 3600, session_in=30 * 60))
    await warns.start()
    assert warns._seconds_to_next_look(NOW) == RECHECK_SECONDS
    warns.now = NOW + 19 * 60 + 30
    assert warns._seconds_to_next_look(warns.now) == pytest.approx(30.0)


def test_the_session_end_is_announced_once_ten_minutes_before() -> None:
    async def scenario() -> list[str]:
        live = Scripted(snapshot("AKIA1", 3600, session_in=11 * 60))
        await live.start()
        live.warn_if_ending()
        live.now += 61
        live.warn_if_ending()
        live.warn_if_ending()
        return live.said

    said = asyncio.run(scenario())
    assert len(said) == 1
    assert said[0].startswith("the session of profile dev ends at ")
    assert said[0].endswith(
        "(in 9 min): run `awslogin login --profile dev` to go on without a break"
    )


REFUSED = httpx.Response(400, json={"error": "invalid_grant", "error_description": "used"})


def another_writer_rotates(path: Path, *, credentials_left: float) -> dict[str, Any]:
    """What another program writes meanwhile: its refresh token and its credentials."""
    record: dict[str, Any] = json.loads(path.read_text())
    write_session(
        {"AWSLOGIN_CACHE_DIR": str(path.parent)},
        credentials_left=credentials_left,
        refresh_token="rt-other",
    )
    rotated: dict[str, Any] = json.loads(path.read_text())
    rotated["credentials"]["AccessKeyId"] = "ASIAOTHER"
    rotated["session"] = record["session"]
    path.write_text(json.dumps(rotated))
    return rotated


def token_answers(
    *answers: Callable[[], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    calls = iter(answers)
    return lambda request: next(calls)()


def refresh_token_sent(call: Any) -> str:
    return parse_qs(call.request.content.decode())["refresh_token"][0]


def credential_process(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> tuple[int, str, str]:
    code = main(["credential-process", "--profile", "dev"], env)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_refusal_after_another_writer_rotated_uses_its_fresh_credentials(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env, credentials_left=10)

    def rotate_then_refuse() -> httpx.Response:
        another_writer_rotates(path, credentials_left=3600)
        return REFUSED

    with respx.mock() as router:
        token = router.post(f"{ISSUER}/token").mock(side_effect=token_answers(rotate_then_refuse))
        code, out, err = credential_process(capsys, env)

    assert (code, err) == (0, "")
    assert json.loads(out)["AccessKeyId"] == "ASIAOTHER"
    assert token.call_count == 1
    cached = json.loads(path.read_text())
    assert cached["providerState"]["refreshToken"] == "rt-other"
    assert "endedReason" not in cached


def test_a_refusal_after_another_writer_rotated_refreshes_once_with_its_token(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    path = write_session(env, credentials_left=10)

    def rotate_then_refuse() -> httpx.Response:
        another_writer_rotates(path, credentials_left=100)  # inside the refresh margin
        return REFUSED

    def accept() -> httpx.Response:
        return httpx.Response(
            200, json={"id_token": idp.id_token(nonce="n-1"), "refresh_token": "rt-3"}
        )

    with respx.mock() as router:
        router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
        router.post(STS_URL).respond(text=sts_response())
        token = router.post(f"{ISSUER}/token").mock(
            side_effect=token_answers(rotate_then_refuse, accept)
        )
        code, out, err = credential_process(capsys, env)

    assert (code, err) == (0, "")
    assert json.loads(out)["AccessKeyId"] == "ASIAEXAMPLE"
    assert [refresh_token_sent(call) for call in token.calls] == ["rt-1", "rt-other"]
    assert json.loads(path.read_text())["providerState"]["refreshToken"] == "rt-3"


def test_a_second_refusal_ends_the_session_and_one_line_says_so(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env, credentials_left=10)

    def rotate_then_refuse() -> httpx.Response:
        another_writer_rotates(path, credentials_left=100)
        return REFUSED

    with respx.mock() as router:
        token = router.post(f"{ISSUER}/token").mock(
            side_effect=token_answers(rotate_then_refuse, lambda: REFUSED)
        )
        code, out, err = credential_process(capsys, env)

    assert (code, out) == (1, "")
    assert err.strip().splitlines() == [
        "awslogin: the identity provider no longer accepts this session (invalid_grant: used): "
        "run `awslogin login --profile dev`"
    ]
    assert token.call_count == 2  # never a third: the rotated token was tried once
    cached = json.loads(path.read_text())
    assert "refreshToken" not in cached["providerState"]
    assert cached["session"]["expiresAt"] == 0


def test_a_refusal_of_the_token_the_cache_still_holds_ends_the_session(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env, credentials_left=10)
    with respx.mock() as router:
        token = router.post(f"{ISSUER}/token").mock(return_value=REFUSED)
        code, _, err = credential_process(capsys, env)
    assert code == 1
    assert "no longer accepts this session" in err
    assert token.call_count == 1
    assert json.loads(path.read_text())["endedReason"].startswith("the identity provider")


@pytest.mark.parametrize("refused", [False, True])
def test_a_cache_deleted_during_the_refresh_is_not_written_back(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp, refused: bool
) -> None:
    path = write_session(env, credentials_left=10)

    def sign_out_then_answer() -> httpx.Response:
        path.unlink()  # signed out by another tool meanwhile
        if refused:
            return REFUSED
        return httpx.Response(
            200, json={"id_token": idp.id_token(nonce="n-1"), "refresh_token": "rt-2"}
        )

    with respx.mock(assert_all_called=False) as router:
        router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
        router.post(STS_URL).respond(text=sts_response())
        router.post(f"{ISSUER}/token").mock(side_effect=token_answers(sign_out_then_answer))
        code, out, err = credential_process(capsys, env)

    assert (code, out) == (1, "")
    expected = "no longer accepts this session" if refused else "signed out of profile dev while it"
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not path.exists()


async def test_a_renewal_is_asked_before_the_end_and_a_new_session_wakes_the_keeper() -> None:
    """The renewal is told what each look found; a new session (the renewal saved it)
    wakes the keeper at once to plan for its own end, instead of at its next look."""
    live = Scripted(snapshot("AKIA1", 3600, session_in=3600), ENDED)
    renewing = Renewing()
    live.renewal = renewing  # type: ignore[assignment]
    await live.start()
    assert renewing.seen == [(NOW + 3600, False)]
    # The keeper plans its next look no later than the renewal's start.
    assert live._seconds_to_next_look(NOW + 3600 - 90) <= 30
    assert live._new_session.is_set()  # the first session: the keeper plans for it
    woken = await live._sleep(5)
    assert woken
    assert not await live._sleep(0.01)
    await live.fetch()  # the refresh is refused: the renewal starts at once
    assert renewing.seen[-1] == (None, True)
