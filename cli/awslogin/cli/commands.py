"""The argparse command line: options, help text, dispatch and printing."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

from awslogin import __version__
from awslogin.errors import EXIT_OK, EXIT_USAGE, UsageError

EPILOG = """\
exit codes:
  0    success
  1    failure you can act on (the message says what to do, e.g. run `awslogin login`)
  2    usage error (bad option or value; no command at all: this help)
  130  interrupted (Ctrl-C); a remote login's pairing is cancelled on the relay
  143  `login` stopped by SIGTERM, 129 by SIGHUP (an SSH session that dropped): the same
       clean-up as Ctrl-C

environment:
  AWS_PROFILE            profile when --profile is not given (else `default`)
  AWS_CONFIG_FILE        the AWS config file (default ~/.aws/config)
  AWS_REGION, AWS_DEFAULT_REGION
                         region for STS when the profile has none
  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL
                         STS endpoint override, as in the AWS SDKs
  AWS_ENDPOINT_URL_SIGNIN
                         AWS Sign-In endpoint override (provider aws-signin)
  AWS_LOGIN_CACHE_DIRECTORY
                         aws-signin sessions, shared with botocore (default ~/.aws/login/cache)
  AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO
                         IAM Identity Center endpoint overrides (provider sso)
  AWSLOGIN_RELAY_URL     relay for --remote when --relay is not given
  AWSLOGIN_RELAY_TOKEN   bearer token if the relay requires one to create pairings
  AWSLOGIN_CACHE_DIR     token cache directory (default ~/.aws/awslogin/cache)
  AWSLOGIN_EXEC_PROFILE  set by `awslogin exec` for its command (a nested exec checks it)
  BROWSER                browser command for same-device logins
"""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_parsers: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_profile(parser: argparse._ActionsContainer, help_text: str = "") -> None:
    parser.add_argument(
        "--profile",
        help=help_text or "profile of the AWS config file (default: AWS_PROFILE, else default)",
    )


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port")
    return value


def _port_or_any(text: str) -> int:
    return 0 if text.strip() == "0" else _port(text)


def build_parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="log HTTP requests (no secrets) to stderr"
    )
    parser = _Parser(
        prog="awslogin",
        description="Short-lived AWS credentials from your identity provider, on this machine "
        "or on a remote one through a relay.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"awslogin {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser.command_parsers[name] = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        return parser.command_parsers[name]

    configure = command("configure", "write an awslogin profile into the AWS config file")
    _add_profile(configure, "profile to write (default: AWS_PROFILE, else default)")
    configure.add_argument("--provider", choices=["oidc", "aws-signin", "sso"], default="oidc")
    configure.add_argument("--issuer", help="OpenID Connect issuer URL")
    configure.add_argument("--client-id", help="public OIDC client id (PKCE)")
    configure.add_argument("--role-arn", help="IAM role to assume with the ID token")
    configure.add_argument("--relay", help="relay URL for remote logins")
    configure.add_argument("--region", help="AWS region of the profile")
    configure.add_argument("--scopes", help="OIDC scopes (default: 'openid offline_access')")
    configure.add_argument(
        "--duration", type=_positive_int, help="credential lifetime in seconds (900-43200)"
    )
    sso = configure.add_argument_group("provider sso (IAM Identity Center)")
    sso.add_argument("--sso-session", help="name of the [sso-session] to use or create")
    sso.add_argument("--sso-start-url", help="AWS access portal URL (https://...)")
    sso.add_argument("--sso-region", help="region of IAM Identity Center")
    sso.add_argument(
        "--sso-registration-scopes", help="comma-separated (default: sso:account:access)"
    )
    sso.add_argument("--account-id", help="account to use (else chosen from a list)")
    sso.add_argument("--role-name", help="role to use (else chosen from a list)")
    sso.add_argument("--use-device-code", action="store_true", help="sign in with a device code")
    sso.add_argument(
        "--no-browser", action="store_true", help="print the sign-in URL instead of opening it"
    )

    login = command("login", "sign in and cache credentials for a profile")
    _add_profile(login, "profile to sign in (default: AWS_PROFILE, else default)")
    login.add_argument(
        "--remote",
        action="store_true",
        help="sign in on another device: through the relay if one is set (sso: only with "
        "--relay), else with a device code or by pasting what that device shows",
    )
    login.add_argument(
        "--relay",
        help="relay URL (default: AWSLOGIN_RELAY_URL, then the profile; sso: only this flag, "
        "paste mode)",
    )
    login.add_argument("--no-qr", action="store_true", help="do not draw a QR code")
    login.add_argument(
        "--no-browser", action="store_true", help="print the URL instead of opening a browser"
    )
    login.add_argument("--redirect-port", type=_port, help="loopback port (default: random)")
    login.add_argument("--region", help="AWS region (remembered in the profile if it has none)")
    login.add_argument(
        "--timeout", type=_positive_int, default=600, help="seconds to wait for sign-in"
    )

    process = command("credential-process", "print credential_process JSON (used by the AWS SDKs)")
    _add_profile(process)

    export = command("export", "print the profile's credentials for a shell or as JSON")
    _add_profile(export)
    export.add_argument("--format", choices=["env", "json"], default="env")

    serve = command(
        "serve",
        "serve the profile's credentials to programs and containers (AWS container "
        "credentials protocol), keeping its session alive",
    )
    _add_profile(serve)
    serve.add_argument(
        "--address",
        default="127.0.0.1",
        help="loopback, or 169.254.170.2 / 169.254.170.23 / fd00:ec2::23 (default 127.0.0.1)",
    )
    serve.add_argument(
        "--port", type=_port_or_any, default=0, help="TCP port (default: any free port)"
    )
    serve.add_argument("--env-file", help="write the variables to this file (mode 0600)")
    serve.add_argument("--audit-log", help="append the JSON audit lines here (default stderr)")

    run_command = command(
        "exec", "run a command with the profile's credentials, rotating while it runs"
    )
    _add_profile(run_command)
    run_command.add_argument(
        "--env",
        action="store_true",
        help="plain AWS_ACCESS_KEY_ID... variables instead of a private endpoint (no rotation)",
    )
    run_command.add_argument("--audit-log", help="append the endpoint's JSON audit lines here")
    run_command.add_argument(
        "argv",
        metavar="command",
        nargs=argparse.REMAINDER,
        help="-- command and its arguments (default $SHELL)",
    )

    status = command("status", "show the cached session of a profile")
    which = status.add_mutually_exclusive_group()
    _add_profile(which)
    which.add_argument("--all", action="store_true", help="every awslogin profile")

    logout = command("logout", "revoke and delete cached tokens and credentials")
    which = logout.add_mutually_exclusive_group()
    _add_profile(which)
    which.add_argument("--all", action="store_true", help="every cached session")
    return parser


def run(args: list[str], environ: Mapping[str, str]) -> int:
    from awslogin.adapters.aws_config import selected_profile
    from awslogin.adapters.terminal import Terminal

    options = parse(args)
    if options is None:
        # Like git: help for a bare command, and a failure status, since no command ran (a
        # script that called it without one did not get what it wanted). 2, the status of
        # every other usage error here, as the AWS CLI v1 (argparse) gives; git gives 1.
        build_parser().print_help()
        return EXIT_USAGE
    profile = selected_profile(getattr(options, "profile", None), environ)
    terminal = Terminal()
    debug = bool(options.debug)

    if options.command == "credential-process":
        from awslogin.usecases.credential_process import credential_process

        print(json.dumps(credential_process(profile, environ, debug=debug)), flush=True)
    elif options.command == "export":
        from awslogin.usecases.export import export_credentials

        print(export_credentials(profile, environ, options.format, debug=debug), flush=True)
    elif options.command == "serve":
        from awslogin.usecases.serve import ServeOptions, serve

        return serve(
            ServeOptions(
                profile=profile,
                address=options.address,
                port=options.port,
                env_file=options.env_file,
                audit_log=options.audit_log,
                debug=debug,
            ),
            environ,
            terminal,
        )
    elif options.command == "exec":
        from awslogin.usecases.exec import ExecOptions, exec_command

        argv = list(options.argv)
        return exec_command(
            ExecOptions(
                profile=profile,
                command=argv[1:] if argv[:1] == ["--"] else argv,
                env=options.env,
                audit_log=options.audit_log,
                debug=debug,
            ),
            environ,
            terminal,
        )
    elif options.command == "status":
        import time

        from awslogin.usecases.status import status

        terminal.result(status(profile, environ, time.time(), all_profiles=options.all))
    elif options.command == "logout":
        from awslogin.usecases.logout import logout

        report = logout(profile, environ, all_profiles=options.all, debug=debug)
        for warning in report.warnings:  # the local session is removed all the same
            terminal.info(f"awslogin: {warning}")
        terminal.result("\n".join(report.lines))
    elif options.command == "configure":
        from awslogin.usecases.configure import ConfigureOptions, configure

        lines = configure(
            ConfigureOptions(
                profile=profile,
                provider=options.provider,
                region=options.region,
                relay=options.relay,
                issuer=options.issuer,
                client_id=options.client_id,
                role_arn=options.role_arn,
                scopes=options.scopes,
                duration=options.duration,
                sso_session=options.sso_session,
                sso_start_url=options.sso_start_url,
                sso_region=options.sso_region,
                sso_registration_scopes=options.sso_registration_scopes,
                account_id=options.account_id,
                role_name=options.role_name,
                use_device_code=options.use_device_code,
                open_browser=not options.no_browser,
                debug=debug,
            ),
            environ,
            terminal,
        )
        terminal.result("\n".join(lines))
    elif options.command == "login":
        from awslogin.cli.signals import stop_signals_interrupt
        from awslogin.usecases.login import LoginOptions, login

        with stop_signals_interrupt():
            lines = login(
                LoginOptions(
                    profile=profile,
                    remote=options.remote,
                    relay=options.relay,
                    qr=not options.no_qr,
                    open_browser=not options.no_browser,
                    redirect_port=options.redirect_port,
                    region=options.region,
                    timeout=float(options.timeout),
                    debug=debug,
                ),
                environ,
                terminal,
            )
        terminal.result("\n".join(lines))
    sys.stdout.flush()
    return EXIT_OK
