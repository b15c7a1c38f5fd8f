"""Entry point of the `awslogin` console script.

`credential-process --profile P` is recognised here before argparse is imported: it runs
for every SDK client a program creates and must cost little more than starting Python.
Every failure ends as one line on stderr and an exit code; never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from awslogin.errors import EXIT_FAILURE, AwsloginError, exit_code_of, message_of


def _say(failure: BaseException, *, newline: bool = False) -> None:
    """The one line of `failure` on stderr; nothing when the terminal is gone (a hung-up
    SSH session)."""
    try:
        print(f"{chr(10) if newline else ''}awslogin: {message_of(failure)}", file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _fast_credential_process(args: list[str], environ: Mapping[str, str]) -> int | None:
    """Handle the plain credential-process call; None means: let argparse handle it."""
    if not args or args[0] != "credential-process":
        return None
    rest = args[1:]
    if len(rest) == 2 and rest[0] == "--profile" and rest[1] and not rest[1].startswith("-"):
        profile = rest[1]
    elif len(rest) == 1 and rest[0].startswith("--profile=") and len(rest[0]) > len("--profile="):
        profile = rest[0][len("--profile=") :]
    elif not rest:
        profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    else:
        return None
    import json

    from awslogin.usecases.credential_process import credential_process

    print(json.dumps(credential_process(profile, environ)), flush=True)
    return 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env = os.environ if environ is None else environ
    debug = "--debug" in args
    try:
        fast = _fast_credential_process(args, env)
        if fast is not None:
            return fast
        from awslogin.cli.commands import run

        return run(args, env)
    except AwsloginError as exc:
        _say(exc)
        return exit_code_of(exc)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP during a login
        _say(exc, newline=True)
        return exit_code_of(exc)
    except BrokenPipeError:
        return EXIT_FAILURE
    except Exception as exc:  # the promise is: never a traceback, unless asked for
        if debug:
            import traceback

            traceback.print_tb(exc.__traceback__)  # frames only: messages may hold URLs
        _say(exc)
        return EXIT_FAILURE
