"""One look at a profile's credentials as `serve` and `exec` hand them out, and the worker
process that takes it for them: `python -P -m awslogin.usecases.snapshot PROFILE`.

This module is the one place where `serve` and `exec` reach into the session: the call
`credential-process` makes (`current_record`), which refreshes under the session's
cross-process lock when the credentials are near their end, so that serve, exec,
credential-process and the SDKs' own providers make one refresh between them.

`serve` takes its snapshots in the worker process, not in itself: the refresh path
(httpx, cryptography, the providers) would more than double the memory of a process that
idles between refreshes (README, "Benchmarks"), and a worker in a session of its own is
not interrupted half-way by a Ctrl-C meant for serve, so a rotated refresh token is never
lost. The worker answers with one JSON line on stdout; messages go to stderr as usual.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awslogin.errors import UNEXPECTED, AwsloginError, LoginRequired
from awslogin.profile import load_profile
from awslogin.session_record import ProcessOutput, credentials_left, process_output, session_left
from awslogin.usecases.credential_process import current_record
from awslogin.usecases.profiles import load_config


@dataclass(frozen=True)
class Failure:
    """Why there are no credentials to hand out; `login_required`: only a sign-in helps."""

    message: str
    login_required: bool


@dataclass(frozen=True)
class Snapshot:
    """The credential_process output of a profile, with when it and its session end."""

    output: ProcessOutput
    expires_at: float
    session_ends_at: float

    def container_body(self) -> bytes:
        """The JSON the container credentials provider of every SDK reads (botocore's
        ContainerProvider; the session token is called `Token` there)."""
        output = self.output
        fields = {
            "AccessKeyId": output["AccessKeyId"],
            "SecretAccessKey": output["SecretAccessKey"],
            "Token": output["SessionToken"],
            "Expiration": output["Expiration"],
        }
        if "AccountId" in output:
            fields["AccountId"] = output["AccountId"]
        return json.dumps(fields).encode("utf-8")

    @property
    def expiration(self) -> str:
        return self.output["Expiration"]

    def to_wire(self) -> dict[str, Any]:
        return {
            "output": dict(self.output),
            "expiresAt": self.expires_at,
            "sessionEndsAt": self.session_ends_at,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Snapshot:
        given = data["output"]
        fields = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
        if not isinstance(given, dict) or not all(isinstance(given.get(f), str) for f in fields):
            raise ValueError("the snapshot lacks credentials")
        output = ProcessOutput(
            Version=1,
            AccessKeyId=given["AccessKeyId"],
            SecretAccessKey=given["SecretAccessKey"],
            SessionToken=given["SessionToken"],
            Expiration=given["Expiration"],
        )
        if isinstance(given.get("AccountId"), str):
            output["AccountId"] = given["AccountId"]
        return cls(output, float(data["expiresAt"]), float(data["sessionEndsAt"]))


def take_snapshot(profile: str, environ: Mapping[str, str], *, debug: bool = False) -> Snapshot:
    """The profile's current credentials, refreshed first if credential-process would."""
    record = current_record(profile, environ, debug=debug)
    now = time.time()
    return Snapshot(
        output=process_output(record),
        expires_at=now + credentials_left(record, now),
        session_ends_at=max(now + session_left(record, now), 0.0),
    )


def profile_region(profile: str, environ: Mapping[str, str]) -> str | None:
    """The region the SDKs would use with this profile (the environment's first)."""
    return load_profile(load_config(environ), profile, environ).region


def worker_argv(profile: str, *, debug: bool) -> list[str]:
    """The worker's command line; -P keeps the working directory off the import path."""
    argv = [sys.executable, "-P", "-m", __name__, profile]
    return [*argv, "--debug"] if debug else argv


def parse_worker_answer(stdout: bytes) -> Snapshot | Failure:
    """The worker's one line: a snapshot, or the failure to pass on (never raises)."""
    try:
        answer = json.loads(stdout)
        if "snapshot" in answer:
            return Snapshot.from_wire(answer["snapshot"])
        return Failure(str(answer["message"]), answer["error"] == "login_required")
    except (ValueError, KeyError, TypeError):
        return Failure("the credentials worker gave no answer (run with --debug)", False)


def _answer(profile: str, debug: bool) -> dict[str, Any]:
    try:
        return {"snapshot": take_snapshot(profile, os.environ, debug=debug).to_wire()}
    except LoginRequired as ended:
        return {"error": "login_required", "message": ended.message}
    except AwsloginError as failure:
        return {"error": "failure", "message": failure.message}
    except Exception:  # the worker's promise, as the CLI's: one line, no traceback
        return {"error": "failure", "message": UNEXPECTED}


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print("usage: python -P -m awslogin.usecases.snapshot PROFILE [--debug]", file=sys.stderr)
        return 2
    answer = json.dumps(_answer(argv[0], "--debug" in argv[1:]))
    try:
        print(answer, flush=True)
    except BrokenPipeError:  # serve stopped meanwhile; what was refreshed is saved already
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
