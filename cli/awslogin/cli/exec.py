"""`awslogin exec`: run a command with the profile's credentials, rotating while it runs."""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile, add_renewal


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "exec",
        "run a command with the profile's credentials, rotating while it runs",
        run,
    )
    add_profile(parser)
    parser.add_argument(
        "--env",
        action="store_true",
        help="plain AWS_ACCESS_KEY_ID... variables instead of a private endpoint (no rotation)",
    )
    parser.add_argument("--audit-log", help="append the endpoint's JSON audit lines here")
    add_renewal(parser)
    parser.add_argument(
        "argv",
        metavar="command",
        nargs=argparse.REMAINDER,
        help="-- command and its arguments (default $SHELL; %%COMSPEC%% on Windows)",
    )


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.exec import ExecOptions, exec_command

    argv = list(options.argv)
    return exec_command(
        ExecOptions(
            profile=invocation.profile,
            command=argv[1:] if argv[:1] == ["--"] else argv,
            env=options.env,
            audit_log=options.audit_log,
            debug=invocation.debug,
            notify=tuple(options.notify),
            renew_before=options.renew_before,
        ),
        invocation.environ,
        invocation.terminal,
    )
