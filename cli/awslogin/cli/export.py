"""`awslogin export`: the profile's credentials as shell variables or as JSON."""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "export", "print the profile's credentials for a shell or as JSON", run
    )
    add_profile(parser)
    parser.add_argument("--format", choices=["env", "json"], default="env")


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.export import export_credentials

    text = export_credentials(
        invocation.profile, invocation.environ, options.format, debug=invocation.debug
    )
    print(text, flush=True)
    return EXIT_OK
