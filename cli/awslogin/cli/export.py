"""`awslogin export`: the profile's credentials as shell variables or as JSON."""

from __future__ import annotations

import argparse
import io
import sys

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile
from awslogin.errors import EXIT_OK

# The formats, as the use case names them; kept here too so that building the parser
# imports no use case (base.py). A unit test holds the two lists equal.
FORMATS = ("env", "env-no-export", "powershell", "windows-cmd", "fish", "json")
# Written with "\n" on every platform, as the AWS CLI writes them: a shell that reads
# them on Windows (Git Bash, fish) would keep a "\r" at the end of each value.
# PowerShell and cmd get the platform's line ends.
LINE_FEED_FORMATS = frozenset({"env", "env-no-export", "fish"})


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "export", "print the profile's credentials for a shell or as JSON", run
    )
    add_profile(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env (POSIX shells, the default), env-no-export, powershell, windows-cmd and "
        "fish print what `aws configure export-credentials --format` prints; json is "
        "credential_process's output",
    )


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.export import export_credentials

    text = export_credentials(
        invocation.profile, invocation.environ, options.format, debug=invocation.debug
    )
    out = sys.stdout
    if options.format in LINE_FEED_FORMATS and isinstance(out, io.TextIOWrapper):
        out.reconfigure(newline="\n")
    out.write(text + "\n")
    out.flush()
    return EXIT_OK
