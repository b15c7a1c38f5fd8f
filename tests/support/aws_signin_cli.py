"""aws-signin through the command line in process: a profile pointed at botocore's login
cache, a cache file as `aws login` leaves it, and `main` run with pytest's capsys."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from awslogin.crypto.dpop import DpopKey
from awslogin.stores.aws_signin import token_from_record
from tests.support.command_line import isolated_environ

ALICE = "arn:aws:iam::123456789012:user/alice"


def aws_signin_unit_environ(tmp_path: Path) -> dict[str, str]:
    """Profile `dev` (aws-signin, its login_session ALICE) and `keys` (static keys); private
    caches; no network configured: for tests that run `main` in process."""
    return isolated_environ(
        tmp_path,
        "# team config\n[profile dev]\nawslogin_provider = aws-signin\nregion = us-east-1\n"
        f"login_session = {ALICE}\n\n[profile keys]\naws_access_key_id = AKIAEXAMPLE\n",
        AWS_LOGIN_CACHE_DIRECTORY=str(tmp_path / "login"),
    )


def cache_file(env: dict[str, str], session: str = ALICE) -> Path:
    name = hashlib.sha256(session.encode()).hexdigest() + ".json"
    return Path(env["AWS_LOGIN_CACHE_DIRECTORY"]) / name


def write_login_cache(
    env: dict[str, str], *, credentials_left: float = 600, session_left: float = 40000
) -> Path:
    now = int(time.time())
    record: dict[str, Any] = {
        "config": {"login_session": ALICE},
        "identity": {"arn": ALICE, "accountId": "123456789012"},
        "credentials": {
            "AccessKeyId": "ASIACACHED",
            "SecretAccessKey": "cached-secret",
            "SessionToken": "cached-token",
            "Expiration": "",
            "ExpiresAt": now + credentials_left,
        },
        "session": {"startedAt": now - 100, "expiresAt": now + session_left},
        "providerState": {
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "rt-1",
            "idToken": "x.e30.y",
            "dpopKey": DpopKey.generate().to_pem(),
            "tokenType": "aws_sigv4",
        },
    }
    path = cache_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token_from_record(record, None)))
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("awslogin: ")
    return lines[0]
