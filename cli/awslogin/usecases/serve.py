"""`awslogin serve`: a profile's credentials for every program and container of this host
(and, through `ssh -R`, of another), over the AWS container credentials protocol.

It prints the variables a client needs (or writes them to `--env-file`, mode 0600, in the
KEY=VALUE form that `podman run --env-file`, systemd and `set -a; . FILE` all read), then
serves until stopped: SIGTERM or SIGHUP end it with 0, Ctrl-C with 130 as every command.
Human messages go to stderr with the `awslogin:` prefix; audit lines are JSON (stderr, or
`--audit-log FILE`).

Windows has no SIGHUP, and its event loops no `add_signal_handler`: there Ctrl-C (130)
and Ctrl-Break (0) stop serve, through signal handlers that wake the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType

from awslogin.adapters.audit_log import AuditLog
from awslogin.adapters.credentials_endpoint import listen_host
from awslogin.adapters.files import write_private_atomically
from awslogin.adapters.terminal import Terminal
from awslogin.errors import EXIT_INTERRUPTED, EXIT_OK
from awslogin.usecases.child_region import child_region_variables
from awslogin.usecases.live_credentials import no_link
from awslogin.usecases.profile_endpoint import Serving
from awslogin.usecases.renewal import DEFAULT_RENEW_BEFORE, RenewalOptions, renewal_options
from awslogin.usecases.snapshot import Failure, Snapshot, profile_region

# What stops serve, with the exit code it gives: only the signals this platform has.
_STOP_SIGNALS = {
    signal.Signals[name]: code
    for name, code in (
        ("SIGINT", EXIT_INTERRUPTED),
        ("SIGTERM", EXIT_OK),
        ("SIGHUP", EXIT_OK),
        ("SIGBREAK", EXIT_OK),
    )
    if hasattr(signal, name)
}


@dataclass(frozen=True)
class ServeOptions:
    profile: str
    address: str = "127.0.0.1"
    port: int = 0
    env_file: str | None = None
    audit_log: str | None = None
    debug: bool = False
    notify: tuple[str, ...] = ()
    renew_before: float = DEFAULT_RENEW_BEFORE


def serve(options: ServeOptions, environ: Mapping[str, str], terminal: Terminal) -> int:
    host = listen_host(options.address)
    renewal = renewal_options(options.profile, environ, options.notify, options.renew_before)
    audit = (
        AuditLog.to_file(options.profile, options.audit_log)
        if options.audit_log
        else AuditLog.to_stderr(options.profile)
    )
    try:
        return asyncio.run(_serve(options, host, environ, terminal, audit, renewal))
    finally:
        audit.close()


async def _serve(
    options: ServeOptions,
    host: str,
    environ: Mapping[str, str],
    terminal: Terminal,
    audit: AuditLog,
    renewal: RenewalOptions | None,
) -> int:
    def say(text: str) -> None:
        terminal.info(f"awslogin: {text}")

    serving = Serving(
        options.profile,
        environ,
        host=host,
        port=options.port,
        audit=audit,
        say=say,
        debug=options.debug,
        renewal=renewal,
        renewal_audit=audit.renewal,
    )
    # Signals are handled from the start: a Ctrl-C during the first fetch waits for its
    # worker (which may be refreshing) instead of tearing the loop down around it.
    stopped = asyncio.Event()
    exit_code = [EXIT_OK]
    loop = asyncio.get_running_loop()
    for number, code in _STOP_SIGNALS.items():

        def stop(code: int = code) -> None:
            exit_code[0] = code
            stopped.set()

        _on_signal(loop, number, stop)
    snapshot = await serving.open(ended_ok=True)
    if stopped.is_set():
        await serving.close()
        return exit_code[0]
    # A container or a remote host has no AWS config to read the region from.
    region = child_region_variables(environ, profile_region(options.profile, environ))
    variables = {**serving.variables(), **region}
    if options.env_file:
        lines = "".join(f"{name}={value}\n" for name, value in variables.items())
        write_private_atomically(options.env_file, lines.encode("utf-8"))
        where = f"; the variables are in {options.env_file}"
    else:
        terminal.result(
            "\n".join(f"export {name}={shlex.quote(value)}" for name, value in variables.items())
        )
        where = ""
    say(
        f"serving profile {options.profile} at {serving.endpoint.url}{where} "
        f"(Ctrl-C to stop); {_session_line(serving, snapshot)}"
    )
    serving.live.warn_if_ending()
    await serving.run(stopped)
    say(f"stopped serving profile {options.profile}")
    return exit_code[0]


def _session_line(serving: Serving, snapshot: Snapshot | None) -> str:
    """When the session ends; or, started after it ended (with a renewal), why clients
    get LoginRequired for now."""
    if snapshot is not None:
        ends = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(snapshot.session_ends_at))
        return f"its session ends at {ends}"
    ended = serving.live.failure or Failure("no credentials", True)
    until = "a sign-in by hand" if ended.signed_out else "the renewal signs in"
    return (
        f"{ended.message}; until {until}, clients get LoginRequired"
        f"{no_link(serving.live.renewal, ended)}"
    )


def _on_signal(loop: asyncio.AbstractEventLoop, number: int, callback: Callable[[], None]) -> None:
    """Run `callback` on the loop when `number` arrives.

    Windows' loops have no add_signal_handler: a plain handler hands the callback to the
    loop, which the signal's wake-up (signal.set_wakeup_fd, set by asyncio) gets going.
    After the loop has closed the signal only ends what is left of the process.
    """
    try:
        loop.add_signal_handler(number, callback)
    except NotImplementedError:

        def handler(signum: int, frame: FrameType | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: serve has ended
                loop.call_soon_threadsafe(callback)

        signal.signal(number, handler)
