"""What a refresh does when another writer of the cache (which takes no lock) acts while
the token request is on its way: the IdP is mocked (respx), and the other writer's change
to the cache happens inside the mocked token call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from awslogin.cli.main import main
from tests.support.fake_idp import ISSUER, STS_URL, FakeIdp, sts_response, write_session

pytestmark = pytest.mark.unit

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
