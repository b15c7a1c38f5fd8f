"""`awslogin exec --profile P -- command args...`: a command with P's credentials, rotating
for as long as it runs.

By default the command gets a private endpoint (awslogin.usecases.profile_endpoint on
127.0.0.1, an ephemeral port) whose URL and token exist only in its environment; the SDKs
then fetch new credentials from it whenever theirs near their end. With `--env` it gets plain
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (and AWS_CREDENTIAL_EXPIRATION)
and awslogin becomes the command (exec): for tools that read nothing else, and that
finish before the credentials do. No command runs $SHELL (%COMSPEC% on Windows).

The SDKs try other sources before the container endpoint (botocore's
create_credential_resolver: the environment's keys, AWS_PROFILE's providers, web identity
from the environment, the legacy AWS_CREDENTIAL_FILE and BOTO_CONFIG), and a relative URI
or a token file would win over what exec sets: those variables are removed from the
command's environment, with the legacy and vendor aliases of the keys that older SDKs
read first (AWS_ACCESS_KEY, AMAZON_ACCESS_KEY_ID, ...). AWSLOGIN_EXEC_PROFILE tells a
nested `awslogin exec` (and a shell prompt) which profile is in use.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from awslogin.adapters.audit_log import AuditLog
from awslogin.adapters.aws_config import AwsConfig, config_path
from awslogin.adapters.child_process import (
    default_command,
    replace_process,
    run_child,
    signals_held,
)
from awslogin.adapters.files import expand_home
from awslogin.adapters.terminal import Terminal
from awslogin.errors import UNEXPECTED, AwsloginError, UsageError
from awslogin.profile import CREDENTIAL_PROCESS_KEY, FOREIGN_CREDENTIAL_KEYS
from awslogin.usecases.child_region import child_region_variables
from awslogin.usecases.export import environment_variables
from awslogin.usecases.live_credentials import WORKER_TIMEOUT_SECONDS
from awslogin.usecases.profile_endpoint import Serving
from awslogin.usecases.renewal import DEFAULT_RENEW_BEFORE, renewal_options
from awslogin.usecases.snapshot import profile_region, take_snapshot

NESTING_VARIABLE = "AWSLOGIN_EXEC_PROFILE"
SHADOWING_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCOUNT_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_FILE",
    "BOTO_CONFIG",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    # Legacy and vendor aliases that older SDKs and tools read before the standard names
    # (the AWS SDK for Java 1.x, boto 2, the EC2 API tools): stale keys would win there.
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AMAZON_ACCESS_KEY_ID",
    "AMAZON_SECRET_ACCESS_KEY",
    "AMAZON_SESSION_TOKEN",
    "AWS_SESSION_EXPIRATION",
)

# Profile keys that give botocore's profile providers credentials (create_credential_resolver).
_CREDENTIAL_KEYS = (*FOREIGN_CREDENTIAL_KEYS, CREDENTIAL_PROCESS_KEY)


@dataclass(frozen=True)
class ExecOptions:
    profile: str
    command: Sequence[str]
    env: bool = False
    audit_log: str | None = None
    debug: bool = False
    notify: tuple[str, ...] = ()
    renew_before: float = DEFAULT_RENEW_BEFORE


def exec_command(options: ExecOptions, environ: Mapping[str, str], terminal: Terminal) -> int:
    if options.env and options.notify:
        # With --env awslogin becomes the command: nothing is left to renew or to serve
        # the renewed credentials. Destinations from AWSLOGIN_NOTIFY or the profile are
        # standing defaults for serve and exec, and do not make --env fail.
        raise UsageError(
            "--notify renews the credentials of exec's endpoint; with --env the command "
            "gets fixed ones and nothing renews them: drop --env or --notify"
        )
    _refuse_nesting(options.profile, environ)
    argv = list(options.command) or default_command(environ)
    region = profile_region(options.profile, environ)
    child_env = command_environment(environ, options.profile, region)
    if options.env:
        snapshot = take_snapshot(options.profile, environ, debug=options.debug)
        return replace_process(argv, {**child_env, **environment_variables(snapshot.output)})
    # (The default profile's own credentials are this profile's when it is `default`.)
    shadowing = default_profile_credentials(environ) if options.profile != "default" else None
    if shadowing:
        terminal.info(
            f"awslogin: warning: profile default has credentials of its own ({shadowing}), "
            "which the AWS SDKs use before the endpoint; run with --env, or remove them"
        )
    renewal = renewal_options(options.profile, environ, options.notify, options.renew_before)
    audit = (
        AuditLog.to_file(options.profile, options.audit_log)
        if options.audit_log
        else AuditLog.discard(options.profile)
    )
    endpoint = _EndpointThread(
        Serving(
            options.profile,
            environ,
            host="127.0.0.1",
            port=0,
            audit=audit,
            say=lambda text: terminal.info(f"awslogin: {text}"),
            debug=options.debug,
            renewal=renewal,
            renewal_audit=audit.renewal,
        )
    )
    try:
        with signals_held():
            endpoint.start()  # its threads inherit the mask: the signals stay for run_child
        endpoint.wait_until_serving()  # Ctrl-C here interrupts, as in any other command
        with signals_held():
            return run_child(argv, {**child_env, **endpoint.serving.variables()})
    finally:
        endpoint.stop()
        audit.close()


def command_environment(
    environ: Mapping[str, str], profile: str, region: str | None
) -> dict[str, str]:
    """The command's environment before credentials: nothing that would shadow them, and
    the region under both names (AWS_PROFILE, which named it, is gone)."""
    env = {name: value for name, value in environ.items() if name not in SHADOWING_VARIABLES}
    env[NESTING_VARIABLE] = profile
    env.update(child_region_variables(environ, region))
    return env


def default_profile_credentials(environ: Mapping[str, str]) -> str | None:
    """A key that makes the `default` profile a credential source, if it has one: without
    AWS_PROFILE, the SDKs read that profile before the container endpoint."""
    credentials_file = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    sections = (
        AwsConfig.load(expand_home(credentials_file, environ)).section("default"),
        AwsConfig.load(config_path(environ)).profile("default"),
    )
    for values in sections:
        for key in _CREDENTIAL_KEYS:
            if values and values.get(key):
                return key
    return None


def _refuse_nesting(profile: str, environ: Mapping[str, str]) -> None:
    """Inside `exec` for another profile, which credentials a command gets is a guess."""
    outer = environ.get(NESTING_VARIABLE)
    if outer and outer != profile:
        raise UsageError(
            f"already inside `awslogin exec --profile {outer}`: exit it before running "
            f"profile {profile} (or unset {NESTING_VARIABLE} to nest anyway)"
        )


class _EndpointThread:
    """The private endpoint of one `exec`: its event loop runs on a thread of its own."""

    def __init__(self, serving: Serving) -> None:
        self.serving = serving
        self._opened: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = asyncio.Event()
        self._thread = threading.Thread(target=self._main, name="awslogin-endpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait_until_serving(self) -> None:
        """Returns once it serves; raises the first fetch's failure (nothing to serve)."""
        self._opened.result()

    def stop(self) -> None:
        self._stop_requested.set()
        loop = self._loop
        if loop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile: it is done
                loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout=WORKER_TIMEOUT_SECONDS + 5)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            if not self._opened.done():
                self._opened.set_exception(AwsloginError("the credentials endpoint stopped"))

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            # Not ended_ok, unlike serve: a command started without a session would only
            # fail, so exec refuses (sign in first) even with a renewal (README, "Long
            # jobs and unattended hosts").
            await self.serving.open()
        except AwsloginError as failure:
            self._opened.set_exception(failure)
            return
        except Exception:
            self._opened.set_exception(AwsloginError(f"cannot serve credentials: {UNEXPECTED}"))
            return
        self._opened.set_result(None)
        if self._stop_requested.is_set():
            self._stopped.set()
        await self.serving.run(self._stopped)
