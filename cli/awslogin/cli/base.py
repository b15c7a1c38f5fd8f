"""What every command module shares: how its parser is made, its option types, and what
its run function gets.

A command lives in a module of its own (login.py, status.py, ...) with two functions:
`add_parser(subparsers)`, its arguments, and `run(options, invocation)`, what it does.
`add_command` files `run` in the parser's defaults, so the parser dispatches
(commands.py). Light on purpose: building the parser imports no use case; a command's
run imports its use case when it runs, so that `credential-process` stays light
(docs/architecture.md, "Rules that keep it changeable").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from awslogin.errors import UsageError

if TYPE_CHECKING:
    from awslogin.adapters.terminal import Terminal

EPILOG = """\
exit codes:
  0    success
  1    failure you can act on (the message says what to do, e.g. run `awslogin login`)
  2    usage error (bad option or value; no command at all: this help)
  130  interrupted (Ctrl-C); a remote login's pairing is cancelled on the relay
  143  `login` (or `console`) stopped by SIGTERM, 129 by SIGHUP (an SSH session that
       dropped): the same clean-up as Ctrl-C

environment:
  AWS_PROFILE            profile when --profile is not given (else `default`)
  AWS_CONFIG_FILE        the AWS config file (default ~/.aws/config)
  AWS_REGION, AWS_DEFAULT_REGION
                         region for STS when the profile has none
  AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL
                         STS endpoint override, as in the AWS SDKs
  AWS_ENDPOINT_URL_SIGNIN
                         AWS Sign-In endpoint override (provider aws-signin)
  AWS_ENDPOINT_URL_FEDERATION
                         AWS federation endpoint override (`console`; /federation is added)
  AWS_LOGIN_CACHE_DIRECTORY
                         aws-signin sessions, shared with botocore (default ~/.aws/login/cache)
  AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO
                         IAM Identity Center endpoint overrides (provider sso)
  AWSLOGIN_RELAY_URL     relay for --remote (login, console) when --relay is not given
  AWSLOGIN_RELAY_TOKEN   bearer token if the relay requires one to create pairings
  AWSLOGIN_CACHE_DIR     token cache directory (default ~/.aws/awslogin/cache)
  AWSLOGIN_NOTIFY        Apprise URLs (spaces or commas between) for sign-in links, when
                         --notify is not given
  AWSLOGIN_EXEC_PROFILE  set by `awslogin exec` for its command (a nested exec checks it)
  BROWSER                browser command for same-device logins
"""


class Parser(argparse.ArgumentParser):
    """A parser whose errors are `UsageError`s: one line and exit code 2, as every other
    failure is printed (cli/main.py), pointing at the help of the parser that failed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # At the top level: each command's parser, by name (commands.parse reports an
        # option a command does not know with that command's parser).
        self.command_parsers: dict[str, Parser] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


@dataclass(frozen=True)
class Invocation:
    """What a command's run gets besides its own options: the profile it acts on
    (--profile, else AWS_PROFILE, else default), the environment, the terminal, --debug."""

    profile: str
    environ: Mapping[str, str]
    terminal: Terminal
    debug: bool


Run: TypeAlias = Callable[[argparse.Namespace, Invocation], int]


def common_options() -> Parser:
    """The options every command takes, and the top level too."""
    common = Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="log HTTP requests (no secrets) to stderr"
    )
    return common


def add_command(subparsers: Subparsers, name: str, help_text: str, run: Run) -> Parser:
    """The parser of command `name`, which dispatches to `run`."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_options()],
    )
    parser.set_defaults(run=run)
    return parser


def add_profile(parser: argparse._ActionsContainer, help_text: str = "") -> None:
    parser.add_argument(
        "--profile",
        help=help_text or "profile of the AWS config file (default: AWS_PROFILE, else default)",
    )


def add_notify(parser: argparse._ActionsContainer, what: str) -> None:
    parser.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help=f"send {what} to this Apprise URL (ntfy://, mailto://, json://, slack://...; "
        "repeatable; default: AWSLOGIN_NOTIFY, then the profile's awslogin_notify); "
        "needs pip install 'awslogin[notify]'",
    )


def add_renewal(parser: argparse._ActionsContainer) -> None:
    """--notify and --renew-before of `serve` and `exec`."""
    add_notify(parser, "a sign-in link before the session ends (renewal)")
    parser.add_argument(
        "--renew-before",
        type=duration,
        default=30 * 60.0,
        metavar="DURATION",
        help="with --notify: start the renewal this long before the session ends "
        "(45s, 20m, 1h; default 30m)",
    )


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(text: str) -> float:
    """`45s`, `20m`, `1h` (or plain seconds) in seconds."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:], 0) if value else 0
    number = value[:-1] if unit else value
    try:
        seconds = int(number) * (unit or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration like 45s, 20m or 1h"
        ) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return float(seconds)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port")
    return value


def port_or_any(text: str) -> int:
    """A TCP port, or 0: any free port."""
    return 0 if text.strip() == "0" else port(text)
