"""Driving `awslogin serve` and `awslogin exec` as people and programs do: the command as a
child process, and the clients of its endpoint (boto3, the AWS CLI v1, raw HTTP).

boto3 and the AWS CLI run in fresh processes with only the endpoint's variables: no AWS
config, no cache directory, no profile, so the credentials can only come from the endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TypedDict

from tests.peers.oidc import OidcProvider
from tests.support.destinations import Received
from tests.support.host import awslogin_script
from tests.support.oidc_profile import session_started
from tests.support.phone import phone_from_message
from tests.support.waiting import wait_until

# What a client process keeps of the test's environment: enough to run Python and aws.
_KEPT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "NO_PROXY", "no_proxy", "SSL_CERT_FILE")


def client_env(variables: Mapping[str, str], home: Path, **extra: str) -> dict[str, str]:
    """An environment with nothing of AWS but `variables` (and `extra`), HOME empty."""
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update(
        {
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_REGION": "us-east-1",
            **variables,
            **extra,
        }
    )
    return env


BOTO3_IDENTITY = """\
import json, sys, boto3
session = boto3.Session()
credentials = session.get_credentials()
if credentials is None:
    sys.exit("boto3 found no credentials")
frozen = credentials.get_frozen_credentials()
seen = {"method": credentials.method, "key": frozen.access_key}
if len(sys.argv) > 1:
    seen["arn"] = session.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"]
print(json.dumps(seen))
"""


# A client that calls STS through boto3 every 0.5 s, one boto3 Session for its whole life
# (as a long job holds one), until the stop file exists: argv log, stop[, STS endpoint].
# One JSON line per call (a `Call`): the key it used, and whether the call failed or its
# credentials had expired. It runs on the host's Python and on the SDK container's older
# boto3 (which reads no AWS_ENDPOINT_URL_STS, hence the endpoint argument).
BOTO3_EVERY_HALF_SECOND = """\
import json, os, sys, time
import boto3
from datetime import datetime, timezone
log, stop = sys.argv[1], sys.argv[2]
endpoint = sys.argv[3] if len(sys.argv) > 3 else None
session = boto3.Session(region_name="us-east-1")
sts = session.client("sts", endpoint_url=endpoint)
with open(log, "a") as out:
    while not os.path.exists(stop):
        line = {"at": time.time()}
        try:
            sts.get_caller_identity()
            credentials = session.get_credentials()
            line["key"] = credentials.get_frozen_credentials().access_key
            expiry = getattr(credentials, "_expiry_time", None)
            line["expired"] = expiry is not None and expiry <= datetime.now(timezone.utc)
        except Exception as exc:
            line["error"] = repr(exc)[:300]
        out.write(json.dumps(line) + "\\n")
        out.flush()
        time.sleep(0.5)
"""


class Call(TypedDict, total=False):
    """One line of BOTO3_EVERY_HALF_SECOND's log."""

    at: float
    key: str
    expired: bool
    error: str


def calls_in(log: Path) -> list[Call]:
    """The calls a BOTO3_EVERY_HALF_SECOND client logged so far (whole lines only)."""
    if not log.exists():
        return []
    text = log.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def failed(calls: Sequence[Call]) -> list[Call]:
    """The calls that failed or were made with expired credentials."""
    return [call for call in calls if "error" in call or call.get("expired")]


def answer_renewals(
    oidc_provider: OidcProvider,
    env: dict[str, str],
    receivers: Sequence[Received],
    timeout: float,
) -> list[tuple[int, float]]:
    """The person answers each renewal of profile dev from the message its destination
    received (`receivers[n]`: where to take the n+1-th one), and the test waits for each
    new session saved. For each: when its session was signed in, and when it was seen
    saved (what `assert_new_credentials_after_each` takes)."""
    renewals: list[tuple[int, float]] = []
    previous = session_started(env)
    for count, receiver in enumerate(receivers, start=1):
        phone_from_message(oidc_provider, receiver, count, timeout=timeout)
        wait_until(
            lambda previous=previous: session_started(env) > previous,
            "the renewed session saved",
        )
        previous = session_started(env)
        renewals.append((previous, time.time()))
    return renewals


def assert_new_credentials_after_each(
    calls: Sequence[Call], renewals: Sequence[tuple[int, float]]
) -> None:
    """Every call begun after a renewal was saved used the new session's credentials:
    none of the keys used before that session was signed in. `renewals` holds, for each,
    when its session was signed in and when it was seen saved (docs/security.md,
    "Renewal": the old credentials until the save, the new ones from then on)."""
    for signed_in, saved in renewals:
        before = {call["key"] for call in calls if call["at"] < signed_in}
        after = {call["key"] for call in calls if call["at"] > saved}
        assert before, calls
        assert after, calls
        assert not after & before, (signed_in, saved, calls)


def boto3_identity(env: Mapping[str, str], sts_endpoint: str | None = None) -> dict[str, Any]:
    """What boto3 (default credential chain) gets, and (given STS) the identity it has."""
    done = subprocess.run(
        [sys.executable, "-c", BOTO3_IDENTITY, *([sts_endpoint] if sts_endpoint else [])],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def boto3_failure(env: Mapping[str, str]) -> str:
    """The error boto3 raises when it cannot get credentials (its message, one line)."""
    done = subprocess.run(
        [sys.executable, "-c", BOTO3_IDENTITY],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0, done.stdout
    return done.stderr.strip().splitlines()[-1]


class ServeProcess:
    """`awslogin serve --profile P ARGS` running; the variables it printed or wrote."""

    def __init__(
        self,
        env: Mapping[str, str],
        profile: str,
        *args: str,
        log: Path,
        prefix: Sequence[str] = (),
    ) -> None:
        self.argv = [*prefix, awslogin_script(), "serve", "--profile", profile, *args]
        self.env = dict(env)
        self.log = log
        self.stdout_path = log.with_suffix(".stdout")
        self.process: subprocess.Popen[bytes] | None = None
        self.variables: dict[str, str] = {}

    def start(self, timeout: float = 30.0) -> Self:
        with self.log.open("wb") as err, self.stdout_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        deadline = time.monotonic() + timeout
        while "awslogin: serving profile" not in self.stderr():
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {self.stderr()}")
            time.sleep(0.05)
        lines = self.stdout().splitlines()
        if "--env-file" in self.argv:
            lines = Path(self.argv[self.argv.index("--env-file") + 1]).read_text().splitlines()
        for line in lines:
            name, _, value = line.removeprefix("export ").partition("=")
            self.variables[name] = value
        return self

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.log.read_text()

    def audit(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stderr().splitlines() if line.startswith("{")]

    def outcome_counts(self) -> Counter[str]:
        """Requests per outcome; a line of refusals merged over a minute counts `count`."""
        counts: Counter[str] = Counter()
        for line in self.audit():
            counts[line["outcome"]] += line.get("count", 1)
        return counts

    def messages(self) -> list[str]:
        return [line for line in self.stderr().splitlines() if not line.startswith("{")]

    @property
    def url(self) -> str:
        return self.variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]

    @property
    def token(self) -> str:
        return self.variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
