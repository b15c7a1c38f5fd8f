"""`awslogin export`: the profile's credentials as a shell's variable assignments, or JSON.

The shell formats are those of `aws configure export-credentials --format ...`, line for
line, so that a script or a habit written for the AWS CLI works with awslogin unchanged.
The one addition: `AWS_ACCOUNT_ID`, last, when the
session knows its account, as credential-process states `AccountId`.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from awslogin.errors import AwsloginError
from awslogin.session_record import ProcessOutput, process_output
from awslogin.usecases.credential_process import current_record

# What AWS issues: base64 keys and tokens, and an ISO 8601 time. A value of only these
# characters means the same to every shell, inside double quotes or bare.
_PLAIN: Final = re.compile(r"[A-Za-z0-9+/=:._-]+")


def _plain(value: str) -> str:
    """The value as it is, when no shell reads anything into it; else a refusal.

    PowerShell and fish expand `$` inside double quotes and cmd has no quoting that holds
    in both a prompt and a batch file, so a value that AWS would never issue is not
    printed at all rather than printed as code for the shell that evaluates it.
    """
    if _PLAIN.fullmatch(value) is None:
        raise AwsloginError(
            "the credentials hold characters that this shell would interpret; "
            "use --format env or --format json"
        )
    return value


@dataclass(frozen=True)
class ShellSyntax:
    """How one shell sets a variable: the AWS CLI's line, and how a value is made safe in it."""

    line: str  # with {name} and {value}
    quote: Callable[[str], str]


SHELLS: Final[Mapping[str, ShellSyntax]] = {
    # POSIX shells: shlex leaves every value AWS issues bare, as the AWS CLI prints it,
    # and quotes anything else.
    "env": ShellSyntax("export {name}={value}", shlex.quote),
    "env-no-export": ShellSyntax("{name}={value}", shlex.quote),
    "powershell": ShellSyntax('$Env:{name}="{value}"', _plain),
    "windows-cmd": ShellSyntax("set {name}={value}", _plain),
    "fish": ShellSyntax('set -gx {name} "{value}"', _plain),
}
FORMATS: Final = (*SHELLS, "json")


def export_credentials(
    profile: str, environ: Mapping[str, str], fmt: str, *, debug: bool = False
) -> str:
    """The credentials of `profile` in format `fmt` (one of FORMATS), without a final newline."""
    output = process_output(current_record(profile, environ, debug=debug))
    if fmt == "json":
        return json.dumps(output, indent=2)
    syntax = SHELLS[fmt]
    names = environment_variables(output)
    names["AWS_CREDENTIAL_EXPIRATION"] = aws_cli_time(output["Expiration"])
    return "\n".join(
        syntax.line.format(name=name, value=syntax.quote(value)) for name, value in names.items()
    )


def aws_cli_time(expiration: str) -> str:
    """`Expiration` as the AWS CLI prints it: botocore parses it, Python's isoformat
    writes it back (`2026-11-22T01:00:00Z` becomes `2026-11-22T01:00:00+00:00`)."""
    try:
        return datetime.fromisoformat(expiration).isoformat()
    except ValueError:
        return expiration


def environment_variables(output: ProcessOutput) -> dict[str, str]:
    """The credential_process output as the environment variables every SDK reads, in
    the AWS CLI's order (`exec` hands them to its command)."""
    names = {
        "AWS_ACCESS_KEY_ID": output["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": output["SecretAccessKey"],
        "AWS_SESSION_TOKEN": output["SessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": output["Expiration"],
    }
    if "AccountId" in output:
        names["AWS_ACCOUNT_ID"] = output["AccountId"]
    return {name: str(value) for name, value in names.items()}
