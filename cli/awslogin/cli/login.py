"""`awslogin login`: sign in and cache credentials for a profile.

SIGTERM and SIGHUP end a login as Ctrl-C does (signals.py), so that a remote login's
pairing never stays live on the relay. With --json, stdout carries one JSON object per
event (adapters/login_events.py) and every word for the person goes to stderr.
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
from awslogin.errors import EXIT_OK, exit_code_of, message_of


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
        "--json",
        action="store_true",
        help="for programs: one JSON object per line on stdout for each event (link, code, "
        'expiry, waiting, then result); the rest on stderr (README "Login events for programs")',
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
    from awslogin.adapters.login_events import JsonLoginEvents
    from awslogin.adapters.terminal import Terminal
    from awslogin.cli.signals import stop_signals_interrupt
    from awslogin.usecases.login import LoginOptions, login

    terminal = invocation.terminal
    events = JsonLoginEvents(terminal.out) if options.json else None
    if events is not None:
        terminal = Terminal(
            err=terminal.err,
            out=terminal.out,
            stdin=terminal.stdin,
            environ=terminal.environ,
            listener=events,
        )
    try:
        with stop_signals_interrupt():
            signed_in = login(
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
                terminal,
            )
    except (Exception, KeyboardInterrupt) as failure:
        if events is not None:  # the one line follows on stderr (cli/main.py)
            events.failed(message_of(failure), exit_code_of(failure))
        raise
    text = "\n".join(signed_in.lines)
    if events is None:
        terminal.result(text)
        return EXIT_OK
    terminal.info(text)
    events.signed_in(signed_in.profile, signed_in.identity, signed_in.session_expires_at)
    return EXIT_OK
