"""botocore's login cache (`aws login`): where its files are and how they spell times.

The file is the one botocore's login credential provider reads, so the AWS CLI v2 and
boto3 use an `awslogin` sign-in natively, and `awslogin` keeps working with whatever
they refreshed: `$AWS_LOGIN_CACHE_DIRECTORY` (else ~/.aws/login/cache), named
`sha256(login_session).hexdigest() + ".json"`, holding `accessToken` {accessKeyId,
secretAccessKey, sessionToken, accountId, expiresAt}, `tokenType`, `clientId`,
`refreshToken`, `idToken` and `dpopKey`. `stores/aws_signin.py` reads and writes these
files as awslogin session records. `credential-process` reads them on every SDK start:
hashlib and a date parse, nothing heavier.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping

from awslogin.adapters.files import expand_home, home_directory

LOGIN_CACHE_ENV = "AWS_LOGIN_CACHE_DIRECTORY"


def login_cache_dir(environ: Mapping[str, str]) -> str:
    """Where botocore looks: AWS_LOGIN_CACHE_DIRECTORY (vars and ~ expanded), else the default."""
    configured = environ.get(LOGIN_CACHE_ENV)
    if configured:
        return expand_home(os.path.expandvars(configured), environ)
    return os.path.join(home_directory(environ), ".aws", "login", "cache")


def cache_file_name(login_session: str) -> str:
    return hashlib.sha256(login_session.encode("utf-8")).hexdigest() + ".json"


def expiry_epoch(text: object) -> float | None:
    """`expiresAt` as botocore writes it (%Y-%m-%dT%H:%M:%SZ), or any ISO 8601 form."""
    if not isinstance(text, str):
        return None
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def expiry_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
