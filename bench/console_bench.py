"""`awslogin console --remote` beside `awslogin login --remote` (a benchmark, not a test).

`python bench/console_bench.py [--rounds 20]`

The real peers of the test suite on 127.0.0.1: node-oidc-provider, moto's STS behind the
proxy that verifies each ID token, `awslogin-relay` (memory store; its per-client rates
lifted, since every host and phone here is 127.0.0.1) and the federation fake of
tests/fakes/federation. Each round runs both commands as processes of their own, one
after the other, with a scripted phone (httpx, no browser, no pause) that reads the link
and the number from the terminal and confirms at once:

* login: the phone confirms, signs in at the IdP and comes back to the relay; the time
  is from the command's start to its exit with the credentials cached;
* console: the phone confirms and posts a P-256 key as the console page does, waits for
  the sealed URL, opens it and follows it to the federation fake's redirect to the
  console; the time is from the command's start to that redirect on the phone.

It prints p50 and p90 of each, and console's ratio to login (the same run, the same
peers): the handover costs a federation call and a second trip through the relay, but
no sign-in at the IdP.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.federation import FederationFake, run_federation_fake
from tests.peers._process import set_scratch_root
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayServer
from tests.peers.sts import StsPeer
from tests.support.phone import NUMBER_PATTERN, confirm, console_handover, give_console_key

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
LINK = re.compile(r"^ {6}(http\S+/p/\S+)$")
DEADLINE = 60.0


def host_env(root: Path, idp: OidcProvider, sts_url: str, fake: FederationFake) -> dict[str, str]:
    config = root / "config"
    config.write_text(
        "[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {idp.issuer}\nawslogin_client_id = {idp.client_id}\n"
        f"awslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "AWSLOGIN_", "SSH_")) and key not in ("BROWSER", "DISPLAY")
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "credentials"),
            "AWSLOGIN_CACHE_DIR": str(root / "cache"),
            "AWS_ENDPOINT_URL_STS": sts_url,
            **fake.endpoint_env(),
            "NO_PROXY": "127.0.0.1,localhost",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def start(command: str, env: dict[str, str], relay: str) -> tuple[subprocess.Popen[str], str, int]:
    """The command started on the host; its link and number once it showed them."""
    argv = [str(Path(sys.executable).parent / "awslogin"), command, "--remote", "--no-qr"]
    host = subprocess.Popen(
        [*argv, "--profile", "dev", "--relay", relay, "--timeout", "60"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert host.stderr is not None
    link, number = "", None
    for line in host.stderr:
        found = LINK.match(line.rstrip("\n"))
        if found:
            link = found.group(1)
        shown = re.search(NUMBER_PATTERN, line)
        if shown:
            number = int(shown.group(0))
            break
    assert link, "the host showed no link"
    assert number is not None, "the host showed no number"
    return host, link, number


def finish(host: subprocess.Popen[str]) -> None:
    assert host.stderr is not None
    rest = host.stderr.read()
    assert host.wait(timeout=DEADLINE) == 0, rest[-500:]


def login_round(env: dict[str, str], relay: str, idp: OidcProvider) -> float:
    started = time.monotonic()
    host, link, number = start("login", env, relay)
    with httpx.Client(follow_redirects=False, timeout=30.0, trust_env=False) as phone:
        confirmed = confirm(phone, link, number)
        back = idp.complete_login(confirmed.headers["location"], "bench")
        phone.get(back)
    finish(host)
    return time.monotonic() - started


def console_round(env: dict[str, str], relay: str, fake: FederationFake) -> float:
    started = time.monotonic()
    host, link, number = start("console", env, relay)
    with httpx.Client(follow_redirects=False, timeout=30.0, trust_env=False) as phone:
        key = give_console_key(phone, link, number)
        handover = console_handover(phone, link)
        url = key.open(handover["sealed"], urlsplit(link).path.rsplit("/", 1)[1])
        opened = phone.get(url)
        assert opened.status_code == 302, opened.text
        seconds = time.monotonic() - started
    finish(host)
    assert fake.state.logins, "the federation fake signed nobody in"
    return seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="console-bench-") as scratch:
        root = Path(scratch)
        set_scratch_root(root / "peers")
        with (
            OidcProvider() as idp,
            StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri) as sts,
            run_federation_fake() as fake,
        ):
            relay = RelayServer(
                {
                    "RELAY_ALLOWED_ORIGINS": idp.issuer,
                    "RELAY_CONSOLE_ORIGINS": fake.base_url,
                    "RELAY_RATE_CREATE": "100000",
                    "RELAY_RATE_COLLECT": "100000",
                    "RELAY_RATE_BROWSER": "100000",
                }
            )
            with relay:
                env = host_env(root, idp, sts.endpoint_url, fake)
                logins, consoles = [], []
                for _ in range(options.rounds):
                    logins.append(login_round(env, relay.url, idp))
                    consoles.append(console_round(env, relay.url, fake))
    print(f"{options.rounds} rounds, one command at a time, scripted phone without pauses")
    for name, values in (("login", logins), ("console", consoles)):
        print(
            f"{name:<8} p50 {percentile(values, 0.5) * 1000:.0f} ms, "
            f"p90 {percentile(values, 0.9) * 1000:.0f} ms, "
            f"mean {statistics.fmean(values) * 1000:.0f} ms"
        )
    ratio = percentile(consoles, 0.5) / percentile(logins, 0.5)
    print(f"console/login: p50 x{ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
