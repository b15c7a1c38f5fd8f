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

A snapshot names the session's file as the worker saw it after reading (and maybe
refreshing) the session: once that file is gone or replaced (a logout by any tool, a
sign-in, a refresh elsewhere), what the snapshot holds is looked at again before it is
handed out (adapters/watched_file.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awslogin.adapters.watched_file import WatchedFile
from awslogin.errors import UNEXPECTED, AwsloginError, LoginRequired
from awslogin.profile import load_profile
from awslogin.session_record import ProcessOutput, credentials_left, process_output, session_left
from awslogin.stores import store_for
from awslogin.usecases.credential_process import current_record
from awslogin.usecases.profiles import awslogin_profile, load_config


@dataclass(frozen=True)
class Failure:
    """Why there are no credentials to hand out; `login_required`: only a sign-in helps;
    `signed_out`: and the session's file is absent (a logout by any tool, or no sign-in
    yet), which a renewal does not answer (docs/security.md, "Renewal")."""

    message: str
    login_required: bool
    signed_out: bool = False


@dataclass(frozen=True)
class Snapshot:
    """The credential_process output of a profile, with when it and its session end, and
    the session's file as it was when they were read (None: nothing to watch)."""

    output: ProcessOutput
    expires_at: float
    session_ends_at: float
    session_file: WatchedFile | None = None

    def session_gone(self) -> bool:
        """The session's file is absent now: signed out, whatever this snapshot holds."""
        return self.session_file is not None and self.session_file.gone()

    def session_changed(self) -> bool:
        """The session's file is gone or was replaced since: look at the session again."""
        return self.session_file is not None and self.session_file.changed()

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
        wire: dict[str, Any] = {
            "output": dict(self.output),
            "expiresAt": self.expires_at,
            "sessionEndsAt": self.session_ends_at,
        }
        if self.session_file is not None:
            seen = self.session_file.seen
            wire["sessionFile"] = {"path": self.session_file.path, "seen": seen}
        return wire

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
        return cls(
            output,
            float(data["expiresAt"]),
            float(data["sessionEndsAt"]),
            _watched_from_wire(data.get("sessionFile")),
        )


def _watched_from_wire(data: object) -> WatchedFile | None:
    if not isinstance(data, dict) or not isinstance(data.get("path"), str):
        return None
    seen = data.get("seen")
    if isinstance(seen, list) and len(seen) == 4 and all(type(n) is int for n in seen):
        return WatchedFile(data["path"], (seen[0], seen[1], seen[2], seen[3]))
    return WatchedFile(data["path"], None)  # gone when the worker looked: look again


def take_snapshot(profile: str, environ: Mapping[str, str], *, debug: bool = False) -> Snapshot:
    """The profile's current credentials, refreshed first if credential-process would."""
    record = current_record(profile, environ, debug=debug)
    # Seen after the read and any refresh: a logout from now on changes what is seen.
    watched = WatchedFile.now(session_file(profile, environ))
    now = time.time()
    return Snapshot(
        output=process_output(record),
        expires_at=now + credentials_left(record, now),
        session_ends_at=max(now + session_left(record, now), 0.0),
        session_file=watched,
    )


def session_file(profile: str, environ: Mapping[str, str]) -> str:
    """The file whose removal signs the profile's session out, whichever tool removes it."""
    chosen, provider = awslogin_profile(load_config(environ), profile, environ)
    return store_for(provider, chosen).session_file


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
        login_required = answer["error"] == "login_required"
        return Failure(str(answer["message"]), login_required, answer.get("signedOut") is True)
    except (ValueError, KeyError, TypeError):
        return Failure("the credentials worker gave no answer (run with --debug)", False)


def _answer(profile: str, debug: bool) -> dict[str, Any]:
    try:
        return {"snapshot": take_snapshot(profile, os.environ, debug=debug).to_wire()}
    except LoginRequired as ended:
        signed_out = _signed_out(profile)
        return {"error": "login_required", "message": ended.message, "signedOut": signed_out}
    except AwsloginError as failure:
        return {"error": "failure", "message": failure.message}
    except Exception:  # the worker's promise, as the CLI's: one line, no traceback
        return {"error": "failure", "message": UNEXPECTED}


def _signed_out(profile: str) -> bool:
    """The session's file is absent: signed out on purpose, or never signed in (a session
    that ended or was refused at the IdP keeps its file)."""
    try:
        return not os.path.exists(session_file(profile, os.environ))
    except AwsloginError:
        return False


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
