"""`awslogin status`: the cached session of a profile, or of every awslogin profile."""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "status", "show the cached session of a profile", run)
    which = parser.add_mutually_exclusive_group()
    add_profile(which)
    which.add_argument("--all", action="store_true", help="every awslogin profile")


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    import time

    from awslogin.usecases.status import status

    text = status(invocation.profile, invocation.environ, time.time(), all_profiles=options.all)
    invocation.terminal.result(text)
    return EXIT_OK
