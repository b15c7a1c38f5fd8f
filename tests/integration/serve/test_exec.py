"""`awslogin exec`: a command with a profile's credentials, rotating while it runs; its
exit status, its signals, its environment, and a nested exec."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.host import awslogin_script
from tests.support.token_proxy import TokenProxy, route_refreshes

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def awslogin_exec(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [awslogin_script(), "exec", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python_child(source: str) -> list[str]:
    return ["--", sys.executable, "-c", textwrap.dedent(source)]


OUTLIVES = """
import json, sys, time, boto3
session = boto3.Session()
sts = session.client("sts")
calls = []
started = time.time()
while time.time() - started < 14:
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials()
    arn = sts.get_caller_identity()["Arn"]
    expiry = credentials._expiry_time.timestamp()
    calls.append({"key": frozen.access_key, "expiry": expiry, "at": time.time(), "arn": arn})
    time.sleep(0.5)
print(json.dumps({"method": credentials.method, "calls": calls}))
"""


@pytest.mark.timeout(120)
def test_a_command_outlives_its_credentials_and_keeps_working(
    oidc_env: dict[str, str], oidc_cache: Path, token_proxy: TokenProxy, sts: Any
) -> None:
    sts.credential_seconds = 8  # credentials that end within seconds, as if hours passed
    route_refreshes(oidc_cache, token_proxy, expires_in=0)
    done = awslogin_exec(oidc_env, "--profile", "dev", *python_child(OUTLIVES))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)
    calls = result["calls"]
    assert result["method"] == "container-role"
    assert all(call["expiry"] > call["at"] for call in calls)  # never used expired ones
    assert calls[-1]["at"] > calls[0]["expiry"]  # ran past the first credentials' end
    assert len({call["key"] for call in calls}) >= 2
    assert token_proxy.refreshes >= 2
    assert all(
        call["arn"].startswith("arn:aws:sts::123456789012:assumed-role/dev/") for call in calls
    )


ENVIRONMENT = """
import json, os
print(json.dumps(dict(os.environ)))
"""


# Names older SDKs and tools read before the standard ones (the AWS SDK for Java 1.x, boto 2).
LEGACY_ALIASES = {
    "AWS_ACCESS_KEY": "AKIALEGACY",
    "AWS_SECRET_KEY": "legacy",
    "AMAZON_ACCESS_KEY_ID": "AKIAVENDOR",
    "AMAZON_SECRET_ACCESS_KEY": "vendor",
    "AMAZON_SESSION_TOKEN": "vendor",
    "AWS_SESSION_EXPIRATION": "2020-01-01T00:00:00Z",
}


def test_the_command_gets_the_endpoint_and_nothing_that_would_shadow_it(
    oidc_env: dict[str, str], oidc_cache: Path, sts: Any
) -> None:
    env = {
        **oidc_env,
        "AWS_PROFILE": "dev",
        "AWS_ACCESS_KEY_ID": "AKIASHADOW",
        "AWS_SECRET_ACCESS_KEY": "shadow",
        "AWS_SESSION_TOKEN": "shadow",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nonexistent",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/other",
        **LEGACY_ALIASES,
        "KEEP_ME": "yes",
    }
    done = awslogin_exec(env, *python_child(ENVIRONMENT))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    child = json.loads(done.stdout)
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        *LEGACY_ALIASES,
    ):
        assert name not in child
    assert child["KEEP_ME"] == "yes"
    assert child["AWSLOGIN_EXEC_PROFILE"] == "dev"
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "us-east-1"
    assert child["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert len(child["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) >= 40

    # With the same shadowing environment, boto3 in the command uses the endpoint.
    boto3 = awslogin_exec(
        env,
        *python_child(
            """
            import boto3
            credentials = boto3.Session().get_credentials()
            print(credentials.method, credentials.get_frozen_credentials().access_key)
            """
        ),
    )
    assert boto3.returncode == 0, boto3.stderr
    cached = json.loads(oidc_cache.read_text())["credentials"]["AccessKeyId"]
    assert boto3.stdout.split() == ["container-role", cached]


def test_env_mode_becomes_the_command_with_plain_variables(
    oidc_env: dict[str, str], oidc_cache: Path
) -> None:
    source = """
    import json, os, sys, boto3
    credentials = boto3.Session().get_credentials()
    names = ("AWS_ACCESS_KEY_ID", "AWS_CREDENTIAL_EXPIRATION", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
    print(json.dumps({"pid": os.getpid(), "method": credentials.method,
                      "env": {name: os.environ.get(name) for name in names},
                      "names": sorted(os.environ)}))
    sys.exit(3)
    """
    process = subprocess.Popen(
        [awslogin_script(), "exec", "--profile", "dev", "--env", *python_child(source)],
        env={**oidc_env, "AWS_PROFILE": "dev", **LEGACY_ALIASES},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    child = json.loads(out)
    cached = json.loads(oidc_cache.read_text())["credentials"]
    assert child["pid"] == process.pid  # exec'd: the command is the process
    assert child["method"] == "env"
    assert child["env"] == {
        "AWS_ACCESS_KEY_ID": cached["AccessKeyId"],
        "AWS_CREDENTIAL_EXPIRATION": cached["Expiration"],
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    }
    assert not set(LEGACY_ALIASES) & set(child["names"])


def test_exit_status_passes_through(oidc_env: dict[str, str], tmp_path: Path) -> None:
    assert awslogin_exec(oidc_env, "--profile", "dev", "--", "sh", "-c", "exit 7").returncode == 7
    killed = awslogin_exec(oidc_env, "--profile", "dev", "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == 128 + signal.SIGTERM
    assert killed.stderr == ""
    missing = awslogin_exec(oidc_env, "--profile", "dev", "--", "no-such-command-here", "x")
    assert missing.returncode == 127
    assert missing.stderr == "awslogin: no-such-command-here: command not found\n"
    not_executable = tmp_path / "notes.txt"
    not_executable.write_text("not a program\n")
    for mode in ([], ["--env"]):
        done = awslogin_exec(oidc_env, "--profile", "dev", *mode, "--", str(not_executable))
        assert done.returncode == 126
        assert done.stderr == f"awslogin: cannot run {not_executable}: Permission denied\n"


SIGNALS = """
import os, signal, sys, time
seen = []
def note(number, frame):
    seen.append(signal.Signals(number).name)
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, note)
open(sys.argv[1], "w").write("ready")
deadline = time.monotonic() + 30
while len(seen) < 3 and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.5)  # a signal sent twice would arrive by now
open(sys.argv[1], "w").write(" ".join(seen))
sys.exit(len(seen))
"""


def wait_for(path: Path, text: str | None = None, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and (content := path.read_text()) and (text is None or content != text):
            return content
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_signals_sent_to_awslogin_reach_the_command_once(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "signals"
    process = subprocess.Popen(
        [
            awslogin_script(),
            "exec",
            "--profile",
            "dev",
            "--",
            sys.executable,
            "-c",
            SIGNALS,
            str(report),
        ],
        env=oidc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as from another terminal: kill(pid), not the tty
    )
    wait_for(report)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        process.send_signal(number)
        time.sleep(0.2)
    _, err = process.communicate(timeout=30)
    assert report.read_text() == "SIGTERM SIGINT SIGHUP"
    assert process.returncode == 3, err
    assert err == ""


CTRL_C = """
import signal, sys, time
seen = []
signal.signal(signal.SIGINT, lambda number, frame: seen.append(number))
open(sys.argv[1], "w").write("ready")
deadline = time.monotonic() + 30
while not seen and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(1.0)
open(sys.argv[1], "w").write(str(len(seen)))
"""


def test_ctrl_c_in_the_terminal_reaches_the_command_once(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    import pty

    report = tmp_path / "ctrl-c"
    argv = [
        awslogin_script(),
        "exec",
        "--profile",
        "dev",
        "--",
        sys.executable,
        "-c",
        CTRL_C,
        str(report),
    ]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty
        os.execve(argv[0], argv, oidc_env)
    try:
        wait_for(report)
        os.write(terminal, b"\x03")  # Ctrl-C: SIGINT to the terminal's foreground group
        assert wait_for(report, "ready") == "1"
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(terminal)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_nesting_another_profile_is_refused(oidc_env: dict[str, str]) -> None:
    inner = f"{awslogin_script()} exec --profile prod -- true; echo inner=$?; " + (
        f"{awslogin_script()} exec --profile dev -- sh -c 'echo same=$AWSLOGIN_EXEC_PROFILE'"
    )
    done = awslogin_exec(oidc_env, "--profile", "dev", "--", "sh", "-c", inner)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["inner=2", "same=dev"]
    assert done.stderr == (
        "awslogin: already inside `awslogin exec --profile dev`: exit it before running "
        "profile prod (or unset AWSLOGIN_EXEC_PROFILE to nest anyway)\n"
    )


def test_not_signed_in_runs_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for mode in ([], ["--env"]):
        done = awslogin_exec(cli_env, "--profile", "dev", *mode, "--", "touch", str(marker))
        assert done.returncode == 1
        assert done.stderr == (
            "awslogin: not signed in with profile dev: run `awslogin login --profile dev`\n"
        )
        assert not marker.exists()


def test_with_notify_not_signed_in_or_with_env_runs_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """exec does not start its command to wait for a renewal: without a session it
    refuses as it does without --notify; --env with --notify is a usage error (nothing
    would renew the fixed credentials)."""
    marker = tmp_path / "ran"
    notify = ("--notify", "json://127.0.0.1:9/hook")
    done = awslogin_exec(cli_env, "--profile", "dev", *notify, "--", "touch", str(marker))
    assert done.returncode == 1
    assert done.stderr == (
        "awslogin: not signed in with profile dev: run `awslogin login --profile dev`\n"
    )
    done = awslogin_exec(cli_env, "--profile", "dev", "--env", *notify, "--", "touch", str(marker))
    assert done.returncode == 2
    assert done.stderr == (
        "awslogin: --notify renews the credentials of exec's endpoint; with --env the command "
        "gets fixed ones and nothing renews them: drop --env or --notify\n"
    )
    assert not marker.exists()
