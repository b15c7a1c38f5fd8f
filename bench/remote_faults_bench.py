"""Remote logins through a faulty network (a benchmark, not a test).

`python bench/remote_faults_bench.py [--logins 100] [--concurrency 4]`

The real peers of the test suite on 127.0.0.1: node-oidc-provider, moto's STS behind
the proxy that verifies each ID token, and `awslogin-relay` (memory store, its default
settings), reached by the host and the phone through the fault-injecting TCP proxy of
tests/peers/fault_proxy.py. Each login is `awslogin login --remote` as its own process
with its own cache; a scripted phone (httpx, no browser) opens the link after a pause
a person might take (0.5 to 3 s), confirms, signs in at the IdP under its own name and
comes back to the relay's callback: that is the approval.

Two runs of the same logins, in the same process: without faults, then with 20% of
long-polls reset while they wait and 10% of the answers that carry a sealed result cut
after the relay sent them. For each it prints the share of logins that completed with
the right identity (target 100%) and the time from approval to credentials cached (the
cache file's write) at p50 and p99, with the faulty run's ratio to the clean one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.peers._process import set_scratch_root
from tests.peers.fault_proxy import Fault, FaultCounts, FaultProxy
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayServer
from tests.peers.sts import StsPeer
from tests.support.phone import NUMBER_PATTERN, confirm

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
ASSUMED_ROLE = "arn:aws:sts::123456789012:assumed-role/dev"
LINK_PREFIX = "      http"
LOGIN_DEADLINE = 120.0


@dataclass(frozen=True)
class Outcome:
    completed: bool
    seconds: float | None  # approval to credentials cached
    detail: str


@dataclass(frozen=True)
class Run:
    outcomes: list[Outcome]
    counts: FaultCounts
    wall: float


def host_env(root: Path, issuer: str, client_id: str, sts_url: str) -> dict[str, str]:
    config = root / "config"
    config.write_text(
        "[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {issuer}\nawslogin_client_id = {client_id}\n"
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
            "AWS_ENDPOINT_URL_STS": sts_url,
            "NO_PROXY": "127.0.0.1,localhost",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def phone(idp: OidcProvider, link: str, number: int, user: str) -> float:
    """Open the link, choose the terminal's number, sign in, come back to the relay:
    the approval's time."""
    with httpx.Client(follow_redirects=False, timeout=30.0, trust_env=False) as browser:
        confirmed = confirm(browser, link, number)
        assert confirmed.status_code == 303, confirmed.text
        back = idp.complete_login(confirmed.headers["location"], user)
        answer = browser.get(back)
        approved = time.time()
        assert answer.status_code in (200, 303), answer.status_code
        return approved


def last_line(lines: list[str]) -> str:
    said = [line.strip() for line in lines if line.startswith("awslogin:")]
    return said[-1] if said else "".join(lines).strip()[-200:]


def one_login(
    index: int, env: dict[str, str], root: Path, relay_url: str, idp: OidcProvider
) -> Outcome:
    user = f"bench-{index}"
    cache = root / f"cache-{index}"
    argv = [str(Path(sys.executable).parent / "awslogin"), "login", "--remote", "--no-qr"]
    host = subprocess.Popen(
        [*argv, "--profile", "dev", "--relay", relay_url, "--timeout", "90"],
        env={**env, "AWSLOGIN_CACHE_DIR": str(cache)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr: list[str] = []
    try:
        assert host.stderr is not None
        link, number = "", None
        for line in host.stderr:
            stderr.append(line)
            if line.startswith(LINK_PREFIX):
                link = line.strip()
            shown = re.search(NUMBER_PATTERN, line)
            if shown:
                number = int(shown.group(0))
                break
        if not link or number is None:
            host.wait(timeout=LOGIN_DEADLINE)
            return Outcome(False, None, last_line(stderr))
        rest = threading.Thread(target=lambda: stderr.extend(host.stderr or []), daemon=True)
        rest.start()
        time.sleep(random.uniform(0.5, 3.0))  # the person takes out the phone
        approved = phone(idp, link, number, user)
        # stderr is the thread's to read: communicate() would read it too
        stdout = host.stdout.read() if host.stdout is not None else ""
        host.wait(timeout=LOGIN_DEADLINE)
        rest.join(timeout=5)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
    expected = f"Signed in as {ASSUMED_ROLE}/{user}"
    record = cache / "oidc--dev.json"
    if host.returncode != 0 or not stdout.startswith(expected) or not record.exists():
        return Outcome(False, None, last_line(stderr))
    cached = record.stat().st_mtime
    identity = json.loads(record.read_text())["identity"]["subject"]
    if identity != user:
        return Outcome(False, None, f"cached the identity of {identity}, not {user}")
    return Outcome(True, cached - approved, "")


def run(
    logins: int,
    concurrency: int,
    env: dict[str, str],
    proxy: FaultProxy,
    idp: OidcProvider,
    root: Path,
) -> Run:
    root.mkdir(parents=True, exist_ok=True)
    before = FaultCounts(**vars(proxy.counts))
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(lambda i: one_login(i, env, root, proxy.url, idp), range(logins)))
    counts = FaultCounts(
        **{name: value - getattr(before, name) for name, value in vars(proxy.counts).items()}
    )
    return Run(outcomes, counts, time.monotonic() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, result: Run) -> tuple[float, float]:
    done = [o.seconds for o in result.outcomes if o.completed and o.seconds is not None]
    share = len(done) / len(result.outcomes)
    p50, p99 = (percentile(done, 0.5), percentile(done, 0.99)) if done else (0.0, 0.0)
    c = result.counts
    print(
        f"{name:<8} completed {len(done)}/{len(result.outcomes)} ({share:.0%}); "
        f"approval -> cached p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"mean {statistics.fmean(done) * 1000 if done else 0:.0f} ms; "
        f"long-polls {c.polls}, reset {c.resets}; results {c.results}, cut {c.cuts}; "
        f"{result.wall:.0f} s"
    )
    for failed in [o for o in result.outcomes if not o.completed][:5]:
        print(f"         failed: {failed.detail}")
    return p50, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--reset", type=float, default=0.2, help="share of long-polls reset")
    parser.add_argument("--cut", type=float, default=0.1, help="share of results cut")
    options = parser.parse_args()
    random.seed(11)
    with tempfile.TemporaryDirectory(prefix="remote-faults-bench-") as scratch:
        root = Path(scratch)
        set_scratch_root(root / "peers")
        with (
            OidcProvider() as idp,
            StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri) as sts,
            FaultProxy(seed=11) as proxy,
        ):
            relay = RelayServer(
                {
                    "RELAY_ALLOWED_ORIGINS": idp.issuer,
                    "RELAY_PUBLIC_URL": proxy.url,
                    # every host and phone here is 127.0.0.1: one client to the limits,
                    # which would refuse the bench, not the faults, after 30 logins
                    "RELAY_RATE_CREATE": "100000",
                    "RELAY_RATE_COLLECT": "100000",
                    "RELAY_RATE_BROWSER": "100000",
                }
            )
            with relay:
                proxy.target = ("127.0.0.1", relay.port)
                env = host_env(root, idp.issuer, idp.client_id, sts.endpoint_url)
                print(
                    f"{options.logins} remote logins, {options.concurrency} at a time, "
                    "through the proxy; the relay's defaults but its per-client rates "
                    "(memory store)"
                )
                clean = run(options.logins, options.concurrency, env, proxy, idp, root / "a")
                proxy.reset_polls = Fault(probability=options.reset)
                proxy.cut_results = Fault(probability=options.cut)
                faulty = run(options.logins, options.concurrency, env, proxy, idp, root / "b")
        clean_p50, clean_p99 = report("clean", clean)
        faulty_p50, faulty_p99 = report("faults", faulty)
        if clean_p50 and clean_p99:
            ratios = f"p50 x{faulty_p50 / clean_p50:.2f}, p99 x{faulty_p99 / clean_p99:.2f}"
            print(f"faults/clean: {ratios}")
    return 0 if all(o.completed for o in faulty.outcomes + clean.outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
