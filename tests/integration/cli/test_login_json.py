"""`awslogin login --remote --json` as a wrapper uses it: the real command as a child
process, the real relay, node-oidc-provider and STS, and a scripted phone that opens the
link the wrapper read from the `link` event and chooses the number of the `code` event.
stdout is JSON, one object per line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.peers.oidc import OidcProvider
from tests.support.background import in_background
from tests.support.host import awslogin_script
from tests.support.phone import phone_through_relay

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def idp_relay_process(relay_process: Any, oidc_provider: OidcProvider) -> Any:
    return relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)


def _argv(relay: str) -> list[str]:
    return [awslogin_script(), "login", "--profile", "dev", "--remote", "--relay", relay, "--json"]


def _objects(stdout: str) -> list[dict[str, Any]]:
    """Each line of stdout as the one JSON object it must be."""
    assert stdout.endswith("\n")
    objects = [json.loads(line) for line in stdout.splitlines()]
    assert all(isinstance(item, dict) for item in objects)
    return objects


@pytest.mark.slow
def test_a_remote_login_is_one_json_object_per_event_on_stdout(
    cli_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: Any
) -> None:
    process = subprocess.Popen(
        _argv(idp_relay_process.url),
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        # The wrapper acts on the link and the number as they come.
        first = process.stdout.readline() + process.stdout.readline()
        link, code = _objects(first)
        assert (link["event"], code["event"]) == ("link", "code")
        phone = in_background(
            lambda: phone_through_relay(oidc_provider, link["url"], code["number"])
        )
        rest, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    phone.join(30)
    assert phone.errors == []
    assert process.returncode == 0, err
    events = _objects(first + rest)
    assert [event["event"] for event in events] == [
        "link",
        "code",
        "expiry",
        "confirmed",
        "waiting",
        "result",
    ]
    link, code, expiry, confirmed, waiting, result = events

    assert link == {
        "event": "link",
        "url": link["url"],
        "type_at": f"{idp_relay_process.url}/link",
    }
    assert link["url"].startswith(f"{idp_relay_process.url}/p/")
    assert set(code) == {"event", "user_code", "number"}
    assert code["user_code"]
    assert code["user_code"] in err  # the terminal shows the same code and number
    assert f"choose this number on the page:  {code['number']}" in err
    assert confirmed["text"].startswith("Confirmed at ")
    assert "from 127.0.0.1" in confirmed["text"]
    assert confirmed["text"] in err
    assert waiting == {"event": "waiting", "text": "Waiting for the sign-in..."}
    assert _UTC.fullmatch(expiry["expires_at"])
    assert 0 < expiry["expires_in"] <= 600
    assert result == {
        "event": "result",
        "signed_in": True,
        "profile": "dev",
        "identity": result["identity"],
        "session_expires_at": result["session_expires_at"],
    }
    assert result["identity"].startswith("arn:aws:sts::123456789012:assumed-role/")
    assert _UTC.fullmatch(result["session_expires_at"])

    # The person's words went to stderr; no secret reached stdout.
    assert "Signed in as arn:aws:sts::" in err
    assert link["url"] in err
    cached = json.loads(next(Path(cli_env["AWSLOGIN_CACHE_DIR"]).glob("*.json")).read_text())
    secrets = [
        cached["credentials"]["AccessKeyId"],
        cached["credentials"]["SecretAccessKey"],
        cached["credentials"]["SessionToken"],
        cached["providerState"]["refreshToken"],
    ]
    assert all(secret and secret not in first + rest for secret in secrets)


def test_a_failed_login_ends_with_a_result_event_and_one_line_on_stderr(
    cli_env: dict[str, str], free_port: int
) -> None:
    done = subprocess.run(
        _argv(f"http://127.0.0.1:{free_port}"),
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("awslogin: cannot reach the relay at 127.0.0.1:")
    assert _objects(done.stdout) == [
        {
            "event": "result",
            "signed_in": False,
            "error": line.removeprefix("awslogin: "),
            "exit_code": 1,
        }
    ]
