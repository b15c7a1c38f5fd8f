"""`awslogin login`: sign in and cache credentials for a profile.

SIGTERM and SIGHUP end a login as Ctrl-C does (signals.py), so that a remote login's
pairing never stays live on the relay.
"""

from __future__ import annotations

import argparse

from awslogin.cli.base import (
    Invocation,
    Subparsers,
    add_command,
    add_notify,
    add_profile,
    port,
    positive_int,
)
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(subparsers, "login", "sign in and cache credentials for a profile", run)
    add_profile(parser, "profile to sign in (default: AWS_PROFILE, else default)")
    parser.add_argument(
        "--remote",
        action="store_true",
        help="sign in on another device: through the relay if one is set (sso: only with "
        "--relay), else with a device code or by pasting what that device shows",
    )
    parser.add_argument(
        "--relay",
        help="relay URL (default: AWSLOGIN_RELAY_URL, then the profile; sso: only this flag, "
        "paste mode)",
    )
    parser.add_argument("--no-qr", action="store_true", help="do not draw a QR code")
    parser.add_argument(
        "--no-browser", action="store_true", help="print the URL instead of opening a browser"
    )
    parser.add_argument("--redirect-port", type=port, help="loopback port (default: random)")
    parser.add_argument("--region", help="AWS region (remembered in the profile if it has none)")
    parser.add_argument(
        "--timeout", type=positive_int, default=600, help="seconds to wait for sign-in"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="save the session even if it is another identity than the profile last had "
        "(else a terminal asks, and without one the login is refused); never overrides "
        "the profile's awslogin_expected_identity",
    )
    add_notify(parser, "the sign-in link of a remote login (no terminal needed: cron, systemd)")


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.cli.signals import stop_signals_interrupt
    from awslogin.usecases.login import LoginOptions, login

    with stop_signals_interrupt():
        lines = login(
            LoginOptions(
                profile=invocation.profile,
                remote=options.remote,
                relay=options.relay,
                qr=not options.no_qr,
                open_browser=not options.no_browser,
                redirect_port=options.redirect_port,
                region=options.region,
                timeout=float(options.timeout),
                debug=invocation.debug,
                force=options.force,
                notify=tuple(options.notify),
            ),
            invocation.environ,
            invocation.terminal,
        )
    invocation.terminal.result("\n".join(lines))
    return EXIT_OK
