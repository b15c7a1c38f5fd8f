"""`serve` at the edge (docs/security.md, "`serve` and `exec` at the edge"): a real serve
process against local processes that hold connections, flood it without the token,
sign the session out under it, or plant a link where its audit log goes."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.signin import run_signin_fake
from tests.fakes.sso import SsoFake
from tests.peers.ci import require_peer
from tests.peers.slow_clients import SlowClients
from tests.support.host import awslogin_script
from tests.support.serve_clients import ServeProcess
from tests.support.signin_profile import ALICE, aws_logout, sign_in_here, signin_environ
from tests.support.sso_profile import aws_sso_logout, person_at_browser

pytestmark = pytest.mark.integration

LOGOUT_DEADLINE_SECONDS = 2.0


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def serve_pid(serve: ServeProcess) -> int:
    """serve's own process: `prlimit` execs it, so the child's pid is serve's."""
    assert serve.process is not None
    return serve.process.pid


# botocore's ContainerMetadataFetcher: 2 s per try, 3 tries a second apart.
SDK_TIMEOUT_SECONDS = 2.0
SDK_ATTEMPTS = 3


def sdk_fetch(url: str, token: str) -> tuple[int, int]:
    """A fetch as the SDKs make it, on a new connection: (status, tries it took)."""
    for attempt in range(1, SDK_ATTEMPTS + 1):
        try:
            answer = httpx.get(url, headers={"Authorization": token}, timeout=SDK_TIMEOUT_SECONDS)
        except httpx.TimeoutException:
            time.sleep(1.0)
            continue
        return answer.status_code, attempt
    return 0, SDK_ATTEMPTS


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_1100_idle_connections_under_a_1024_file_limit_do_not_lock_out_the_token(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    require_peer(Path("/usr/bin/prlimit").exists(), "prlimit (util-linux)")
    with ServeProcess(
        oidc_env, "dev", log=tmp_path / "serve.log", prefix=["prlimit", "--nofile=1024:1024"]
    ) as serve:
        port = urlsplit(serve.url).port
        assert port is not None
        with SlowClients(port, count=1100, duration=60) as attackers:
            fetches = [sdk_fetch(serve.url, serve.token) for _ in range(20)]
            held, descriptors = attackers.status(), open_descriptors(serve_pid(serve))
        assert serve.stop() == 0
    assert all(status == 200 for status, _ in fetches), fetches
    # Each within the SDK's own timeout, at the first try: not locked out at all.
    assert all(attempts == 1 for _, attempts in fetches), fetches
    assert held.closed_by_server > 100, held  # made room, again and again
    assert descriptors < 1024
    counts = serve.outcome_counts()
    assert counts["served"] == 20
    assert counts["evicted"] > 100
    assert len(serve.audit()) < 100  # the churn is counted, not written line by line
    assert "Traceback" not in serve.stderr()


async def flood_without_the_token(url: str, seconds: float) -> int:
    """Requests with a wrong token, one after another for `seconds`: how many got 401."""
    parts = urlsplit(url)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: guess\r\n\r\n"
    refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(request.encode())
        answer = await reader.read()  # the 401, then the end: serve closes the connection
        writer.close()
        assert answer.startswith(b"HTTP/1.1 401 Unauthorized\r\n"), answer[:100]
        refused += 1
    return refused


@pytest.mark.slow
def test_two_seconds_of_unauthorized_requests_grow_the_audit_log_by_less_than_64_kib(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    audit_log = tmp_path / "audit.jsonl"
    args = ("--audit-log", str(audit_log))
    with ServeProcess(oidc_env, "dev", *args, log=tmp_path / "serve.log") as serve:
        assert httpx.get(serve.url, headers={"Authorization": serve.token}).status_code == 200
        before = audit_log.stat().st_size
        refused = asyncio.run(flood_without_the_token(serve.url, 2.0))
        grown = audit_log.stat().st_size - before
        assert serve.stop() == 0
    line_size = before  # one line, the served one
    assert refused * line_size > 64 * 1024, refused  # a line each would have passed it
    assert grown < 64 * 1024
    lines = [json.loads(line) for line in audit_log.read_text().splitlines()]
    refusals = [line for line in lines if line["outcome"] == "unauthorized"]
    assert len(refusals) == 2  # the first at once, the rest counted when serve stopped
    assert sum(line.get("count", 1) for line in refusals) == refused
    assert all(line["client"] == "127.0.0.1" and line["status"] == 401 for line in refusals)


def no_credentials_within_the_deadline(serve: ServeProcess, sign_out: Callable[[], None]) -> None:
    """Served before; after `sign_out`, LoginRequired within the deadline, and from then on."""
    good = {"Authorization": serve.token}
    assert httpx.get(serve.url, headers=good, timeout=5).status_code == 200
    sign_out()
    signed_out = time.monotonic()
    while True:
        answer = httpx.get(serve.url, headers=good, timeout=5)
        if answer.status_code != 200:
            break
        assert time.monotonic() - signed_out < LOGOUT_DEADLINE_SECONDS, "still served"
        time.sleep(0.1)
    assert time.monotonic() - signed_out < LOGOUT_DEADLINE_SECONDS
    assert answer.status_code == 403
    assert answer.json()["code"] == "LoginRequired"
    assert b"AccessKeyId" not in answer.content
    for _ in range(3):
        assert httpx.get(serve.url, headers=good, timeout=5).status_code == 403


def test_awslogin_logout_stops_serve_within_2_s(oidc_env: dict[str, str], tmp_path: Path) -> None:
    def logout() -> None:
        done = subprocess.run(
            [awslogin_script(), "logout", "--profile", "dev"],
            env=oidc_env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr

    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        no_credentials_within_the_deadline(serve, logout)
    assert "Traceback" not in serve.stderr()


@pytest.mark.timeout(120)
def test_aws_logout_stops_serve_within_2_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_signin_fake(accounts={"alice": ALICE}) as fake:
        env = signin_environ(tmp_path, fake)
        sign_in_here(env)
        for name in list(os.environ):  # `aws logout` reads the process environment
            if name.startswith(("AWS_", "AWSLOGIN_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with ServeProcess(env, "dev", log=tmp_path / "serve.log") as serve:
            no_credentials_within_the_deadline(serve, aws_logout)
    assert "Traceback" not in serve.stderr()


def test_aws_sso_logout_stops_serve_within_2_s(
    sso_fake: SsoFake, sso_env: dict[str, str], tmp_path: Path
) -> None:
    login(
        LoginOptions(profile="dev", timeout=30),
        sso_env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=person_at_browser([]),
    )
    with ServeProcess(sso_env, "dev", log=tmp_path / "serve.log") as serve:
        no_credentials_within_the_deadline(serve, lambda: aws_sso_logout(sso_env))
    assert "Traceback" not in serve.stderr()


def test_an_audit_log_that_is_a_symbolic_link_is_refused_and_left_alone(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "bashrc"
    target.write_text("# the user's own file\n")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(target)
    done = subprocess.run(
        [awslogin_script(), "serve", "--profile", "dev", "--audit-log", str(link)],
        env=oidc_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == (
        f"awslogin: the audit log {link} is a symbolic link: give the file itself"
    )
    assert done.stdout == ""
    assert target.read_text() == "# the user's own file\n"

    # A path that is not a link: created 0600, whatever the umask lets through.
    created = tmp_path / "real.jsonl"
    with ServeProcess(
        oidc_env, "dev", "--audit-log", str(created), log=tmp_path / "serve.log"
    ) as serve:
        assert httpx.get(serve.url, headers={"Authorization": serve.token}).status_code == 200
    assert created.stat().st_mode & 0o777 == 0o600
    assert json.loads(created.read_text().splitlines()[0])["outcome"] == "served"


def test_a_client_that_never_speaks_is_evicted_for_one_that_does(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    """Under a file limit that leaves room for 8 connections, eight silent ones give way."""
    require_peer(Path("/usr/bin/prlimit").exists(), "prlimit (util-linux)")
    with ServeProcess(
        oidc_env, "dev", log=tmp_path / "serve.log", prefix=["prlimit", "--nofile=200:200"]
    ) as serve:
        parts = urlsplit(serve.url)
        silent = [socket.create_connection((parts.hostname, parts.port)) for _ in range(8)]
        answer = httpx.get(serve.url, headers={"Authorization": serve.token}, timeout=5)
        assert answer.status_code == 200
        silent[0].settimeout(1)  # well inside serve's own 5 s cutoff: evicted, not timed out
        try:
            ended = silent[0].recv(100)
        except ConnectionResetError:
            ended = b""
        assert ended == b""  # the oldest silent one was closed for it, without an answer
        for sock in silent:
            sock.close()
        assert serve.stop() == 0
    assert serve.outcome_counts()["evicted"] >= 1
