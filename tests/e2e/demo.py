"""`scripts/demo`: the whole remote login played on one machine, step by step.

Starts the local peers the tests use (node-oidc-provider as the IdP, moto STS behind
the proxy that verifies ID tokens, `awslogin-relay`), runs `awslogin login --remote` as
a host with no display and no browser, and lets headless Chromium act as the phone:
it scans the QR code from the terminal, checks the user code, continues, signs in. It
prints what the host prints, what the phone sees, and what boto3's
`sts get-caller-identity` returns through the profile's credential_process, then stops
everything. Exit code 0 when the login and the AWS call worked, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from tests.e2e import phone
from tests.e2e.host import HostHome, HostProcess, Stream
from tests.e2e.journey import (
    PROFILE,
    SIGNED_IN_LINE,
    USER,
    WAITING_LINE,
    caller_identity_with_boto3,
    configure_profile,
    read_sign_in_screen,
    remote_login_argv,
)
from tests.e2e.terminal_qr import decode_terminal_qr
from tests.peers._process import log_tail, set_scratch_root
from tests.support.phone import offered_numbers


class Narrator:
    """Prints numbered, timed lines from the demo, the host and the phone, one at a time."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def say(self, who: str, text: str) -> None:
        with self._lock:
            stamp = time.monotonic() - self.started
            print(f"[{stamp:5.1f}s] {who:<5} | {text}", flush=True)

    def host(self, stream: Stream, line: str) -> None:
        self.say("host", line)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Play a whole awslogin remote login on this machine with local peers "
        "(IdP, STS, relay) and a headless browser as the phone.",
    )
    parser.add_argument("--user", default=USER, help=f"login name at the IdP (default {USER})")
    return parser.parse_args(argv)


def run(user: str, say: Narrator, scratch: Path, logs: list[Path]) -> None:
    from tests.peers.browser import ChromiumBrowser
    from tests.peers.oidc import OidcProvider
    from tests.peers.relay import RelayServer
    from tests.peers.sts import StsPeer

    set_scratch_root(scratch / "peers")
    with ExitStack() as stack:
        say.say("demo", "starting the identity provider (node-oidc-provider)")
        idp = stack.enter_context(OidcProvider())
        logs.append(idp.log_path)
        say.say("demo", f"  IdP at {idp.issuer}")
        say.say("demo", "starting STS (moto) behind a proxy that verifies each ID token")
        sts = stack.enter_context(
            StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri)
        )
        logs.append(sts.log_path)
        say.say("demo", f"  STS at {sts.endpoint_url}")
        say.say("demo", "starting the relay (awslogin-relay, in-memory store)")
        relay = stack.enter_context(RelayServer({"RELAY_ALLOWED_ORIGINS": idp.issuer}))
        logs.append(relay.log_path)
        say.say("demo", f"  relay at {relay.url}")
        say.say("demo", "starting the phone (headless Chromium)")
        chromium = stack.enter_context(ChromiumBrowser())
        context = chromium.new_context()
        stack.callback(context.close)
        page = context.new_page()

        env = HostHome(scratch / "host").environ(sts.endpoint_url)
        say.say("demo", f"host: a shell with no DISPLAY and no BROWSER, HOME={env['HOME']}")
        say.say(
            "demo",
            f"$ awslogin configure --profile {PROFILE} --issuer {idp.issuer} "
            f"--client-id {idp.client_id} --role-arn ... --relay {relay.url}",
        )
        configure_profile(env, issuer=idp.issuer, client_id=idp.client_id, relay=relay.url)
        say.say("demo", f"$ awslogin login --remote --profile {PROFILE}")
        host = stack.enter_context(HostProcess(remote_login_argv(), env, echo=say.host))
        screen = read_sign_in_screen(host)
        host.wait_for(WAITING_LINE)

        scanned = decode_terminal_qr(screen.qr_rows)
        say.say("phone", f"scans the QR code in the terminal: {scanned}")
        if scanned != screen.url:
            raise DemoFailed("the QR code does not hold the printed URL")
        shown = phone.open_pairing_page(page, scanned)
        say.say("phone", f'page "{phone.heading(page)}" shows the code {shown}')
        if shown != screen.user_code:
            raise DemoFailed(f"the page shows {shown}, the terminal {screen.user_code}")
        say.say(
            "phone",
            f"the code matches the terminal's; of the three numbers the page offers "
            f"({', '.join(str(n) for n in offered_numbers(page))}), chooses the "
            f"terminal's: {screen.number}",
        )
        phone.continue_to_provider(page, idp.issuer, screen.number)
        bound = [c for c in context.cookies() if c["name"] == f"awl_{screen.pairing_id}"]
        if not bound or not bound[0]["httpOnly"]:
            raise DemoFailed("the relay did not bind the sign-in to the phone's browser")
        say.say(
            "phone",
            "the relay bound this sign-in to the phone's browser (an HttpOnly cookie): "
            "only this browser can now finish it",
        )
        say.say("phone", f"at the IdP's sign-in form ({idp.issuer}); signs in as {user}")
        phone.sign_in_at_provider(page, user)
        phone.wait_for_done_page(page, relay.url, screen.pairing_id)
        first = phone.heading(page)
        say.say("phone", f'back at the relay: "{first}"')

        code = host.wait(timeout=30)
        if code != 0:
            raise DemoFailed(f"awslogin login exited with {code}")
        arn = host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
        # the page says what the host reported, once it has (docs/protocol.md, "Outcome")
        final = phone.heading_once_changed(page, first, timeout_ms=3000)
        if final != first:
            say.say("phone", f'the page turns into: "{final}"')

        say.say("demo", f"boto3 with AWS_PROFILE={PROFILE}: sts get-caller-identity")
        identity = caller_identity_with_boto3(env)
        say.say("demo", f"  {json.dumps(identity)}")
        if identity.get("Arn") != arn:
            raise DemoFailed(f"STS says {identity.get('Arn')}, the login said {arn}")
        for claims in sts.received:
            say.say(
                "demo",
                "STS was given the IdP's signed ID token: "
                f"iss={claims['iss']} aud={claims['aud']} sub={claims['sub']}",
            )
        say.say("demo", "stopping the phone, the relay, STS and the IdP")


class DemoFailed(RuntimeError):
    """A step of the demo did not give what a person would have seen."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    # A SIGTERM (a timeout, `kill`) unwinds like Ctrl-C, so every peer is still stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    say = Narrator()
    logs: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="awslogin-demo-") as scratch:
        try:
            run(options.user, say, Path(scratch), logs)
        except KeyboardInterrupt:
            say.say("demo", "interrupted; everything is stopped")
            return 130
        except Exception as exc:  # any failed step: say which, show the peers' logs
            say.say("demo", f"FAILED: {type(exc).__name__}: {exc}")
            for path in logs:
                print(f"--- {path.name}:\n{log_tail(path, 2000)}", file=sys.stderr)
            return 1
    say.say("demo", f"done: signed in remotely and called AWS with profile {PROFILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
