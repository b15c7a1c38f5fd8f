"""Failures that the command line turns into one line on stderr and an exit code.

Every layer raises these (or lets the CLI map a KeyboardInterrupt), so no traceback ever
reaches the user. Kept import-free: `credential-process` loads it on every cache hit.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def one_line(value: object, limit: int = 200) -> str:
    """`value` as one line of at most `limit` characters, for a message to the user.

    Services, relays and files may answer with anything; whatever of it a message quotes
    goes through here, so that every failure still prints as exactly one line.
    """
    return " ".join(str(value).split())[:limit]


class AwsloginError(Exception):
    """A failure the user can act on; the message says what to do."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AwsloginError):
    """The command line itself is wrong (unknown profile option, bad flag value)."""

    exit_code = EXIT_USAGE


class ConfigError(AwsloginError):
    """The AWS config file is malformed or a profile is missing or incomplete."""


class LoginRequired(AwsloginError):
    """No usable session: the only remedy is a new interactive login."""

    def __init__(self, profile: str, reason: str) -> None:
        super().__init__(f"{reason}: run `awslogin login --profile {profile}`")
        self.profile = profile
        self.reason = reason


class ProviderError(AwsloginError):
    """The identity provider, STS or relay refused or failed a request."""
