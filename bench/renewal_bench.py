"""Renewals of `awslogin serve` from a scripted phone (a benchmark, not a test).

`python bench/renewal_bench.py [--renewals 20] [--session 40]`

The real peers of the test suite on 127.0.0.1: node-oidc-provider, moto's STS behind
the proxy that verifies each ID token (60-second credentials, so serve refreshes all
along), `awslogin-relay`, and a JSON webhook as the notification destination. Profile
`dev` (oidc, through the relay) has a session of `--session` seconds, and `serve` renews
it `--session - 5` seconds before its end, so each new session is renewed 5 s after it
began. The phone takes each link (and the number to choose) from what the webhook received,
confirms, signs in at the IdP. A client asks serve's endpoint for credentials every 50 ms all along.

It prints, for the renewals:

* the time from the message received at the webhook to the first request answered with
  the new session's credentials (p50/p99), beside the phone's own part of it (the
  approval: relay page, IdP, callback);
* the client's longest gap without valid credentials (an answer that is not 200, or
  credentials past their expiration; target 0 s);
* serve's RSS (VmRSS) while renewing (the highest seen between a message and its
  renewal), beside its idle RSS before the first one: apprise, httpx and the flows load
  only in the renewal's worker process.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.peers._process import set_scratch_root
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayServer
from tests.peers.sts import StsPeer
from tests.support.destinations import JsonWebhook, link_in, number_in_message
from tests.support.oidc_profile import sign_in_oidc
from tests.support.phone import phone_through_relay

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0])


def host_env(
    root: Path, idp: OidcProvider, sts_url: str, relay: str, session: int
) -> dict[str, str]:
    config = root / "config"
    config.write_text(
        "[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {idp.issuer}\nawslogin_client_id = {idp.client_id}\n"
        f"awslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
        f"awslogin_relay = {relay}\nawslogin_session_limit = {session}\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "AWSLOGIN_", "SSH_")) and key != "BROWSER"
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "credentials"),
            "AWSLOGIN_CACHE_DIR": str(root / "cache"),
            "AWS_ENDPOINT_URL_STS": sts_url,
            "DISPLAY": ":0",  # the first sign-in opens a (scripted) browser here
            "NO_PROXY": "127.0.0.1,localhost",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


class Client(threading.Thread):
    """Asks the endpoint every 50 ms: (time, access key or None when not valid)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.answers: list[tuple[float, str | None]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10, trust_env=False) as client:
            while not self.stop.is_set():
                key: str | None = None
                try:
                    answer = client.get(self.url, headers={"Authorization": self.token})
                    body = answer.json() if answer.status_code == 200 else {}
                    expires = calendar.timegm(
                        time.strptime(
                            body.get("Expiration", "1970-01-01T00:00:00Z"), "%Y-%m-%dT%H:%M:%SZ"
                        )
                    )
                    key = body.get("AccessKeyId") if expires > time.time() else None
                except (httpx.HTTPError, ValueError):
                    key = None
                self.answers.append((time.time(), key))
                self.stop.wait(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renewals", type=int, default=20)
    parser.add_argument("--session", type=int, default=40)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="renewal-bench-") as scratch:
        root = Path(scratch)
        set_scratch_root(root / "peers")
        with (
            OidcProvider() as idp,
            StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri) as sts,
            RelayServer({"RELAY_ALLOWED_ORIGINS": idp.issuer}) as relay,
            JsonWebhook() as webhook,
        ):
            sts.credential_seconds = 60
            env = host_env(root, idp, sts.endpoint_url, relay.url, options.session)
            sign_in_oidc(env, idp)
            return measure(options, env, idp, webhook)


def measure(
    options: argparse.Namespace, env: dict[str, str], idp: OidcProvider, webhook: JsonWebhook
) -> int:
    script = Path(sys.executable).parent / "awslogin"
    renew_before = f"{options.session - 5}s"
    serve = subprocess.Popen(
        [
            str(script),
            "serve",
            "--profile",
            "dev",
            "--notify",
            webhook.url,
            "--renew-before",
            renew_before,
            "--audit-log",
            os.devnull,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serve.stdout is not None
        variables: dict[str, str] = {}
        while len(variables) < 2:
            name, _, value = serve.stdout.readline().removeprefix("export ").strip().partition("=")
            if name.startswith("AWS_CONTAINER_"):
                variables[name] = value.strip("'")
        client = Client(
            variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
        )
        client.start()
        time.sleep(2)
        idle_rss = rss_kb(serve.pid)
        renewing_rss: list[int] = []
        to_new, approvals = [], []
        cache = Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
        for count in range(1, options.renewals + 1):
            body = webhook.wait_for_message(count, options.session + 30)
            received = time.time()
            started = json.loads(cache.read_text())["session"]["startedAt"]
            rss = [rss_kb(serve.pid)]
            before = {key for _, key in client.answers if key}
            approval = time.time()
            phone_through_relay(idp, link_in(body), number_in_message(body))
            approvals.append(time.time() - approval)
            while json.loads(cache.read_text())["session"]["startedAt"] == started:
                rss.append(rss_kb(serve.pid))
                time.sleep(0.02)
            deadline = time.time() + 30
            new_at = None
            while new_at is None and time.time() < deadline:
                new_at = next(
                    (
                        at
                        for at, key in client.answers
                        if at > received and key and key not in before
                    ),
                    None,
                )
                time.sleep(0.02)
            if new_at is None:
                sys.exit(f"renewal {count}: the endpoint never answered with new credentials")
            to_new.append(new_at - received)
            renewing_rss.append(max(rss))
        client.stop.set()
        client.join()
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    gaps, invalid_since = [0.0], None
    for at, key in client.answers:
        if key is None and invalid_since is None:
            invalid_since = at
        elif key is not None and invalid_since is not None:
            gaps.append(at - invalid_since)
            invalid_since = None
    print(
        f"{options.renewals} renewals of a {options.session}-second oidc session through the relay"
    )
    print(
        f"message to new credentials served: p50 {percentile(to_new, 0.5):.2f} s, "
        f"p99 {percentile(to_new, 0.99):.2f} s "
        f"(the phone's approval: p50 {percentile(approvals, 0.5):.2f} s; "
        f"ratio {percentile(to_new, 0.5) / percentile(approvals, 0.5):.1f}x)"
    )
    print(
        f"client's longest gap without valid credentials: {max(gaps):.2f} s "
        f"over {len(client.answers)} requests (target 0 s)"
    )
    print(
        f"serve RSS while renewing: {max(renewing_rss) / 1024:.1f} MB, "
        f"idle {idle_rss / 1024:.1f} MB "
        f"(ratio {max(renewing_rss) / idle_rss:.2f}x; the flows and apprise stay in the worker)"
    )
    return 0 if max(gaps) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
