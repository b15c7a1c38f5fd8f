"""`awslogin serve`: the profile's credentials for programs and containers, over the AWS
container credentials protocol, its session kept alive while it serves."""

from __future__ import annotations

import argparse

from awslogin.cli.base import (
    Invocation,
    Subparsers,
    add_command,
    add_profile,
    add_renewal,
    port_or_any,
)


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "serve",
        "serve the profile's credentials to programs and containers (AWS container "
        "credentials protocol), keeping its session alive",
        run,
    )
    add_profile(parser)
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="loopback, or 169.254.170.2 / 169.254.170.23 / fd00:ec2::23 (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=port_or_any, default=0, help="TCP port (default: any free port)"
    )
    parser.add_argument("--env-file", help="write the variables to this file (mode 0600)")
    parser.add_argument("--audit-log", help="append the JSON audit lines here (default stderr)")
    add_renewal(parser)


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.serve import ServeOptions, serve

    return serve(
        ServeOptions(
            profile=invocation.profile,
            address=options.address,
            port=options.port,
            env_file=options.env_file,
            audit_log=options.audit_log,
            debug=invocation.debug,
            notify=tuple(options.notify),
            renew_before=options.renew_before,
        ),
        invocation.environ,
        invocation.terminal,
    )
