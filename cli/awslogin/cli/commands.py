"""The command line composed of its commands: one module per command, dispatch through
the parser.

Each command module (configure.py, login.py, ...) adds its own parser and files its run
function in that parser's defaults (base.add_command); `run` parses and calls it. The
order below is the order of `awslogin --help`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from awslogin import __version__
from awslogin.cli import (
    configure,
    console,
    credential_process,
    exec,
    export,
    login,
    logout,
    serve,
    status,
)
from awslogin.cli.base import EPILOG, Invocation, Parser, Run, common_options
from awslogin.errors import EXIT_USAGE

COMMANDS = (configure, login, console, credential_process, export, serve, exec, status, logout)


def build_parser() -> Parser:
    parser = Parser(
        prog="awslogin",
        description="Short-lived AWS credentials from your identity provider, on this machine "
        "or on a remote one through a relay.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"awslogin {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(subparsers)
    parser.command_parsers.update(subparsers.choices)
    return parser


def parse(args: list[str]) -> argparse.Namespace | None:
    """The command line, or None for a bare `awslogin` (the caller prints help).

    An option a command does not know is reported by that command's parser, so that the
    message points at `awslogin login --help`, not the top-level help.
    """
    parser = build_parser()
    options, unknown = parser.parse_known_args(args)
    if options.command is None:
        return None
    if unknown:
        command = parser.command_parsers[options.command]
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    return options


def run(args: list[str], environ: Mapping[str, str]) -> int:
    """Parse `args` and run the command they name; its exit code."""
    from awslogin.adapters.aws_config import selected_profile
    from awslogin.adapters.terminal import Terminal

    options = parse(args)
    if options is None:
        # Like git: help for a bare command, and a failure status, since no command ran (a
        # script that called it without one did not get what it wanted). 2, the status of
        # every other usage error here, as the AWS CLI v1 (argparse) gives; git gives 1.
        build_parser().print_help()
        return EXIT_USAGE
    invocation = Invocation(
        profile=selected_profile(options.profile, environ),
        environ=environ,
        terminal=Terminal(),
        debug=bool(options.debug),
    )
    command: Run = options.run
    code = command(options, invocation)
    sys.stdout.flush()
    return code
