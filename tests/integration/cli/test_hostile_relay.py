"""The host against a hostile relay (tests/fakes/hostile_relay.py): `awslogin login
--remote` as a process, the real identity provider for discovery, and a relay that drips,
lies about numbers, hides escape sequences in what the host shows, sends megabytes or a
link to another site. Each ends with a filtered display or one filtered line, exit 1,
within --timeout + 5 s, nothing cached and no traceback.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.hostile_relay import HostileRelay, Script
from tests.support.host import awslogin_script

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TIMEOUT = 10
# What would act on the terminal, raw: controls but the newline, C1, bidi and invisibles.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
FAKE_LINE = "Signed in as arn:aws:sts::999999999999:assumed-role/admin/you"


def pairing_json(**fields: str) -> bytes:
    """A creation answer with raw JSON values (NaN, Infinity) the json module won't write."""
    values = {
        "pairing_id": '"P1"',
        "user_code": '"BDKM-TRWX"',
        "verification_uri": '"{url}/link"',
        "verification_uri_complete": '"{url}/p/P1"',
        "poll_token": '"t"',
        "expires_in": "600",
        "interval": "0",
        **fields,
    }
    return ("{" + ",".join(f'"{k}":{v}' for k, v in values.items()) + "}").encode()


CASES: dict[str, tuple[Script, str, bool]] = {
    # name: (script, what the one line says, whether the pairing was cancelled)
    "drip": (
        Script(drip_every=3.0),
        rf"sign-in did not finish within {TIMEOUT} s \(--timeout\) \(the relay at \S+ has "
        r"not answered for \d+ s\); run login again",
        True,
    ),
    "interval 1e9": (
        Script(pairing={"interval": 1e9}, poll_wait=0.1),
        rf"sign-in did not finish within {TIMEOUT} s \(--timeout\); run login again",
        True,
    ),
    "escapes in user_code": (
        Script(pairing={"user_code": TITLE + CLEAR}, poll_wait=0.1),
        r"sign-in did not finish within",
        True,
    ),
    "escapes in verification_uri_complete": (
        Script(pairing={"verification_uri_complete": "{url}/p/P1" + TITLE}),
        r"the relay at \S+ sent a sign-in link that is not a plain link on the relay's own "
        r"site; check --relay",
        True,
    ),
    "escapes in error and error_description": (
        Script(
            poll={
                "status": "denied",
                "error": CLEAR + FAKE_LINE,
                "error_description": "\u202enoitpircsed" + TITLE + "\n" + FAKE_LINE,
            }
        ),
        r"the identity provider returned an error: \\x1b\[2J\\x1b\[HSigned in as .*: "
        r"\\u202enoitpircsed\\x1b\]0;pwned\\x07 Signed in as",
        False,
    ),
    "5 MB user_code": (
        Script(pairing={"user_code": "B" * 5_000_000}),
        r"the relay at \S+ sent an answer larger than 64 KiB",
        False,
    ),
    "NaN expires_in": (
        Script(pairing_body=pairing_json(expires_in="NaN")),
        r"the relay at \S+ sent an incomplete pairing \(expires_in\)",
        False,
    ),
    "infinite interval": (
        Script(pairing_body=pairing_json(interval="Infinity")),
        r"the relay at \S+ sent an incomplete pairing \(interval\)",
        False,
    ),
    "interval 1e999": (
        Script(pairing_body=pairing_json(interval="1e999")),
        r"the relay at \S+ sent an incomplete pairing \(interval\)",
        False,
    ),
    "5 MB of [": (
        Script(discovery=b"[" * 5_000_000),
        r"the relay at \S+ sent an answer larger than 64 KiB",
        False,
    ),
    "60 KB of [": (
        Script(discovery=b"[" * 60_000),
        r"the relay at \S+ speaks protocol version None, not 1",
        False,
    ),
    "3.5 KB link": (
        Script(pairing={"verification_uri_complete": "{url}/p/" + "a" * 3500}),
        r"the relay at \S+ sent an incomplete pairing \(verification_uri_complete\)",
        False,
    ),
    "link on another origin": (
        Script(pairing={"verification_uri_complete": "https://evil.example/p/P1"}),
        r"the relay at \S+ sent a sign-in link that points to evil\.example, not to the "
        r"relay; check --relay",
        True,
    ),
}


def login_argv(relay: HostileRelay) -> list[str]:
    return [awslogin_script(), "login", "--profile", "dev", "--remote", "--relay", relay.url]


def filled(script: Script, url: str) -> Script:
    """The script with the relay's own URL where it says {url}."""
    script.pairing = {
        key: value.replace("{url}", url) if isinstance(value, str) else value
        for key, value in script.pairing.items()
    }
    if script.pairing_body is not None:
        script.pairing_body = script.pairing_body.replace(b"{url}", url.encode())
    return script


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_relay_gets_a_filtered_display_or_one_line_and_exit_1(
    case: str, cli_env: dict[str, str], sts: Any
) -> None:
    script, message, cancelled = CASES[case]
    with HostileRelay(script) as relay:
        filled(script, relay.url)
        started = time.monotonic()
        done = subprocess.run(
            [*login_argv(relay), "--timeout", str(TIMEOUT)],
            env=cli_env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=TIMEOUT + 30,
            check=False,
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert elapsed < TIMEOUT + 10  # the deadline, plus start-up and a bounded cancel
    lines = done.stderr.splitlines()
    messages = [line for line in lines if line.startswith("awslogin:")]
    assert len(messages) == 1, done.stderr
    assert re.fullmatch(f"awslogin: {message}.*", messages[0]), messages[0]
    assert RAW_CONTROL.search(done.stderr) is None, done.stderr[:2000]
    assert "Traceback" not in done.stderr
    assert len(done.stderr) < 5000
    assert done.stdout == ""
    assert sts.received == []
    assert not Path(cli_env["AWSLOGIN_CACHE_DIR"]).exists()
    assert relay.seen.cancelled == int(cancelled)


# A foreign link as a relay may send it, and the one host the refusal may name.
FOREIGN_LINKS = {
    "https://evil.example/p/P1": "evil.example",
    "https://evil.example:8443/p/P1?next=https://evil.example/steal#x": "evil.example",
    "https://user:secret@Login.Evil.Example/p/P1": "login.evil.example",
    "http://192.0.2.7/p/P1": "192.0.2.7",
    "https://[2001:db8::7]/p/P1": "2001:db8::7",
    "https://evil\u202eelpmaxe.example/p/P1": None,  # a host one cannot print as is
    "https://evil example/p/P1": None,
    "javascript:alert(1)//p/P1": None,
}


@pytest.mark.slow
@pytest.mark.parametrize("link", list(FOREIGN_LINKS))
def test_a_foreign_link_is_refused_naming_only_its_host(link: str, cli_env: dict[str, str]) -> None:
    """A terminal may turn a printed URL into a link one clicks: the refusal says where
    the link points, never the link itself (nor its path, query or user information)."""
    with HostileRelay(Script(pairing={"verification_uri_complete": link})) as relay:
        done = subprocess.run(
            [*login_argv(relay), "--timeout", str(TIMEOUT), "--no-qr"],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT + 30,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    (message,) = [line for line in done.stderr.splitlines() if line.startswith("awslogin:")]
    host = FOREIGN_LINKS[link]
    if host is None:
        assert message.endswith(
            "sent a sign-in link that is not a plain link on the relay's own site; "
            "check --relay / AWSLOGIN_RELAY_URL"
        ), message
    else:
        assert message.endswith(
            f"sent a sign-in link that points to {host}, not to the relay; "
            "check --relay / AWSLOGIN_RELAY_URL"
        ), message
    for part in ("://evil", "/p/P1", "secret", "steal", "javascript", "alert"):
        assert part not in done.stderr, part
    assert RAW_CONTROL.search(done.stderr) is None
    assert relay.seen.cancelled == 1


@pytest.mark.slow
def test_escapes_in_the_user_code_are_shown_escaped(cli_env: dict[str, str]) -> None:
    script = Script(pairing={"user_code": TITLE + CLEAR}, poll_wait=0.1)
    with HostileRelay(script) as relay:
        done = subprocess.run(
            [*login_argv(relay), "--timeout", "2", "--no-qr"],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert "Check that the page shows this code:  \\x1b]0;pwned\\x07\\x1b[2J\\x1b[H" in (
        done.stderr
    )
    assert RAW_CONTROL.search(done.stderr) is None


@pytest.mark.slow
def test_a_relay_that_answers_at_once_is_not_asked_in_a_tight_loop(
    cli_env: dict[str, str],
) -> None:
    """interval 0 and a long-poll that does not wait: about one poll a second."""
    with HostileRelay(Script(poll_wait=0.0)) as relay:
        done = subprocess.run(
            [*login_argv(relay), "--timeout", "5", "--no-qr"],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1
    assert 4 <= relay.seen.polls <= 7
