"""`awslogin console`: open the AWS console as the profile's role.

SIGTERM and SIGHUP end it as Ctrl-C does (signals.py), so that a handover's pairing never
stays live on the relay.
"""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile, positive_int
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "console", "open the AWS console as the profile's role", run)
    add_profile(parser)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--print",
        dest="delivery",
        action="store_const",
        const="print",
        help="print the sign-in URL (a bearer credential for 15 minutes) instead of "
        "opening a browser",
    )
    shown.add_argument(
        "--qr",
        dest="delivery",
        action="store_const",
        const="qr",
        help="draw the sign-in URL as a QR code, for a phone (a bearer credential too)",
    )
    shown.add_argument(
        "--url-only",
        dest="delivery",
        action="store_const",
        const="url-only",
        help="write only the sign-in URL to stdout, for scripts",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="hand the console to another device through the relay, sealed to its browser "
        "(the default on a machine without a browser)",
    )
    parser.add_argument(
        "--relay", help="relay URL (default: AWSLOGIN_RELAY_URL, then the profile's)"
    )
    parser.add_argument("--no-qr", action="store_true", help="do not draw the relay link's QR code")
    parser.add_argument(
        "--timeout",
        type=positive_int,
        default=600,
        help="seconds to wait for the other device (--remote)",
    )
    parser.add_argument(
        "--destination",
        help="a console service (like s3) or an https URL on the partition's console "
        "(default: the console home)",
    )
    parser.add_argument("--region", help="console region (default: the profile's)")
    parser.add_argument(
        "--duration",
        type=positive_int,
        help="console session in seconds, 900 to 43200 (default: AWS's, as the credentials allow)",
    )


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.cli.signals import stop_signals_interrupt
    from awslogin.usecases.console import ConsoleOptions, console

    with stop_signals_interrupt():
        console(
            ConsoleOptions(
                profile=invocation.profile,
                delivery=options.delivery,
                destination=options.destination,
                region=options.region,
                duration=options.duration,
                remote=options.remote,
                relay=options.relay,
                qr=not options.no_qr,
                timeout=float(options.timeout),
                debug=invocation.debug,
            ),
            invocation.environ,
            invocation.terminal,
        )
    return EXIT_OK
