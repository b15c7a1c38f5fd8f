"""`awslogin-relay`: check the settings, then serve the relay (awslogin_relay.server).

Each flag overrides the environment variable of the same name; `--help` lists them all
with their defaults. A bad value prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from awslogin_relay.logs import configure_logging
from awslogin_relay.settings import SPECS, Settings, SettingsError

_PROG = "awslogin-relay"


def _flag(name: str) -> str:
    return "--" + name.removeprefix("RELAY_").lower().replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description=(
            "Relay that pairs a browser-side sign-in with the awslogin host waiting for it. "
            "Every option is also an environment variable (shown in brackets); a flag "
            "overrides its variable."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "Example: RELAY_PUBLIC_URL=https://relay.example.com "
            "RELAY_ALLOWED_ORIGINS=https://idp.example.com awslogin-relay"
        ),
    )
    for spec in SPECS:
        shown = spec.default or "empty"
        if spec.name == "RELAY_CREATE_TOKEN":
            shown = "empty: no token needed"
        parser.add_argument(
            _flag(spec.name),
            dest=spec.name,
            metavar=spec.name.removeprefix("RELAY_"),
            help=f"[{spec.name}] {spec.help} (default: {shown})",
        )
    return parser


def settings_from(argv: Sequence[str] | None, environ: dict[str, str]) -> Settings:
    args = build_parser().parse_args(argv)
    merged = dict(environ)
    for spec in SPECS:
        value = getattr(args, spec.name)
        if value is not None:
            merged[spec.name] = value
    return Settings.from_env(merged)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = settings_from(argv, dict(os.environ))
    except SettingsError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    from awslogin_relay.server import serve  # after the settings check: --help stays fast

    configure_logging(settings.log_level)
    if settings.workers > 1:
        # each worker builds its app from the environment: pass the flags on through it
        for spec in SPECS:
            os.environ[spec.name] = _env_text(getattr(settings, spec.field))
    try:
        serve(settings)
    except KeyboardInterrupt:
        return 130
    return 0


def _env_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
