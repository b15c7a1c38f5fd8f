"""`awslogin credential-process`: the credential_process JSON the AWS SDKs read.

The plain call (`--profile P` alone) never reaches argparse: cli/main.py answers it
first, since it runs for every SDK client a program creates. This module handles the
rest (`--debug`, a misspelt option).
"""

from __future__ import annotations

import argparse
import json

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "credential-process",
        "print credential_process JSON (used by the AWS SDKs)",
        run,
    )
    add_profile(parser)


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.credential_process import credential_process

    answer = credential_process(invocation.profile, invocation.environ, debug=invocation.debug)
    print(json.dumps(answer), flush=True)
    return EXIT_OK
