"""`awslogin logout`: revoke and delete the cached tokens and credentials."""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "logout", "revoke and delete cached tokens and credentials", run
    )
    which = parser.add_mutually_exclusive_group()
    add_profile(which)
    which.add_argument("--all", action="store_true", help="every cached session")


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.logout import logout

    report = logout(
        invocation.profile, invocation.environ, all_profiles=options.all, debug=invocation.debug
    )
    for warning in report.warnings:  # the local session is removed all the same
        invocation.terminal.info(f"awslogin: {warning}")
    invocation.terminal.result("\n".join(report.lines))
    return EXIT_OK
