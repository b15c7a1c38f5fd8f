"""`awslogin completion SHELL`: the shell code that completes awslogin's commands, options
and profile names in bash, zsh and fish; and the answer to a shell that asks.

argcomplete rather than shtab: shtab writes no fish code, and argcomplete answers from
the parser itself at each Tab (the shell runs `awslogin` with `_ARGCOMPLETE` set), so the
profile names come from the same config reader as every command's, for the config file
that `AWS_CONFIG_FILE` names at that moment. The answer costs a Python start per Tab;
`credential-process` never comes here (cli/main.py answers it before the parser exists).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping

from awslogin.cli.base import Invocation, Parser, Subparsers, add_command
from awslogin.errors import EXIT_OK, EXIT_USAGE

SHELLS = ("bash", "zsh", "fish")
PROGRAM = "awslogin"


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "completion",
        "print the code that completes awslogin's commands, options and profiles in SHELL; "
        'e.g. in ~/.bashrc: eval "$(awslogin completion bash)" (README "Shell completion")',
        run,
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help=", ".join(SHELLS))


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode([PROGRAM], shell=options.shell), end="", flush=True)
    return EXIT_OK


def asked(environ: Mapping[str, str]) -> bool:
    """Whether a shell runs awslogin to ask for completions (argcomplete's protocol)."""
    return "_ARGCOMPLETE" in environ


def answer(parser: Parser, environ: Mapping[str, str]) -> int:
    """Write the completions of the command line the shell holds, and end the process.

    argcomplete reads the line from the environment and writes to the descriptor the
    shell code opened for it; `--profile` offers the profiles of the config file. It
    returns only when the process was not started by a shell's completion: a usage error.
    """
    import argcomplete

    names = ProfileNames(environ)
    for action in _actions(parser):
        if "--profile" in action.option_strings:
            action.completer = names  # type: ignore[attr-defined]  # argcomplete's hook
    argcomplete.autocomplete(parser)
    return EXIT_USAGE


class ProfileNames:
    """argcomplete's completer of `--profile`: the profiles of the AWS config file."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __call__(self, **_: object) -> list[str]:
        from awslogin.adapters.aws_config import AwsConfig, config_path
        from awslogin.errors import AwsloginError

        try:
            names = AwsConfig.load(config_path(self._environ)).profile_names()
        except AwsloginError:  # a malformed file: no names, as no config offers none
            return []
        # A name that would move the cursor or break the shell's line is not offered.
        return [name for name in names if name.isprintable() and not any(c.isspace() for c in name)]


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """Every action of `parser` and of its commands' parsers."""
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _actions(command)
