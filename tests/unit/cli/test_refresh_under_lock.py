"""What a refresh does when another tool (which takes no lock) changes the cache while the
token request is on its way: the IdP is mocked (respx), and the other tool's change to
the cache happens inside the mocked token call."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from awslogin.cli.main import main
from tests.unit.cli.conftest import ISSUER, STS_URL, FakeIdp, sts_response, write_session

pytestmark = pytest.mark.unit

REFUSED = httpx.Response(400, json={"error": "invalid_grant", "error_description": "used"})


def token_answers(
    *answers: Callable[[], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    calls = iter(answers)
    return lambda request: next(calls)()


def credential_process(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> tuple[int, str, str]:
    code = main(["credential-process", "--profile", "dev"], env)
    out, err = capsys.readouterr()
    return code, out, err


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
