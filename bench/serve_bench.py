"""`awslogin serve` against spawning `awslogin credential-process` (a benchmark, not a test).

Both answer the same question, "the profile's current credentials", on a cache hit. The
script makes a throw-away profile with fresh credentials (no network), starts `awslogin
serve` for it, and measures in the same run:

* the latency of one credentials fetch through the endpoint (p50/p99), with a new TCP
  connection per fetch (as an SDK's refresh usually makes) and on a kept-alive one;
* the latency of spawning `awslogin credential-process` (p50/p99), and the ratio of the
  two p50s (target: the endpoint at least 10x faster);
* the same fetches (new connection each) while 1,000 idle connections are held: the
  slow-header clients of tests/peers/slow_clients.py, a process of their own, each
  sending a header line a second and never ending its head (serve closes each after
  its 5 s deadline, and it comes back): p50/p99 beside those without them, and the
  ratio of the two p99s (docs/security.md, "`serve` and `exec` at the edge"); the
  fetches without them are made half just before, half just after;
* 200 concurrent clients (asyncio connections, each fetching in a loop): requests per
  second, p50/p99 under that load, and that every answer was 200;
* serve's memory (VmRSS, and the peak VmHWM after the load; target < 40 MB), beside a
  process that has the same server modules and the refresh path (httpx, cryptography,
  the three providers) loaded: what serve would weigh if it refreshed in-process
  instead of in its snapshot worker.

    python bench/serve_bench.py [--fetches 2000] [--spawns 40] [--clients 200] [--idle 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from cli_bench import make_profile

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 10.0
TARGET_RSS_MB = 40.0
REFRESH_PATH = (
    "import awslogin.usecases.serve, awslogin.usecases.live_credentials, "
    "awslogin.usecases.sessions, awslogin.providers.oidc, awslogin.providers.sso, "
    "awslogin.providers.aws_signin\n"
    "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def memory_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0])


def start_serve(
    script: Path, env: dict[str, str], audit: Path
) -> tuple[subprocess.Popen[str], str, str]:
    serve = subprocess.Popen(
        [str(script), "serve", "--profile", "bench", "--audit-log", str(audit)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert serve.stdout is not None
    variables = {}
    while len(variables) < 2:
        line = serve.stdout.readline()
        if not line:
            sys.exit("awslogin serve did not start")
        name, _, value = line.strip().removeprefix("export ").partition("=")
        if name.startswith("AWS_CONTAINER_"):
            variables[name] = value
    return (
        serve,
        variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
    )


def fetch_new_connection(host: str, port: int, path: str, token: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    connection.request("GET", path, headers={"Authorization": token})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        sys.exit(f"the endpoint answered {response.status}")
    return time.perf_counter() - started


def fetch_kept_alive(connection: http.client.HTTPConnection, path: str, token: str) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": token})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"the endpoint answered {response.status}")
    return time.perf_counter() - started


def hold_idle(port: int, count: int, status: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`count` slow-header connections held by the tests' peer; how many it holds."""
    holder = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.peers.slow_clients", str(port), str(count)),
            *("--interval", "1", "--duration", "300", "--status", str(status)),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while idle_held(status) < count:
        if holder.poll() is not None or time.monotonic() > deadline:
            holder.kill()
            sys.exit(f"the idle connections were not all held ({idle_held(status)} of {count})")
        time.sleep(0.1)
    return holder, idle_held(status)


def idle_held(status: Path) -> int:
    try:
        held: int = json.loads(status.read_text())["held"]
    except (OSError, ValueError, KeyError):
        return 0
    return held


def spawn(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        sys.exit(f"credential-process failed: {done.stderr.decode().strip()}")
    return time.perf_counter() - started


async def crowd(
    host: str, port: int, path: str, token: str, clients: int, each: int
) -> tuple[list[float], list[int], float]:
    """`clients` connections at once, each fetching `each` times (new connection each)."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    statuses: list[int] = []
    start = asyncio.Event()

    async def client() -> None:
        await start.wait()
        for _ in range(each):
            began = time.perf_counter()
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            answer = await reader.read()
            writer.close()
            latencies.append(time.perf_counter() - began)
            statuses.append(int(answer.split(b" ", 2)[1]))

    tasks = [asyncio.ensure_future(client()) for _ in range(clients)]
    await asyncio.sleep(0.1)
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    return latencies, statuses, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fetches", type=int, default=2000)
    parser.add_argument("--spawns", type=int, default=40)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--each", type=int, default=20, help="fetches per concurrent client")
    parser.add_argument("--idle", type=int, default=1000, help="idle connections held")
    options = parser.parse_args()
    script = Path(sys.executable).parent / "awslogin"
    if not script.is_file():
        sys.exit(f"no awslogin console script beside {sys.executable}: pip install -e .")
    with tempfile.TemporaryDirectory() as tmp:
        env = make_profile(Path(tmp))
        serve, url, token = start_serve(script, env, Path(tmp) / "audit.jsonl")
        try:
            parts = urlsplit(url)
            host, port, path = parts.hostname or "", parts.port or 0, parts.path
            rss_start = memory_kb(serve.pid, "VmRSS")
            process_cmd = [str(script), "credential-process", "--profile", "bench"]
            for _ in range(3):  # warm the page cache, .pyc files and the endpoint
                spawn(process_cmd, env)
                fetch_new_connection(host, port, path, token)

            half = options.fetches // 2
            # Without idle connections just before and just after them: the machine is
            # shared, and its load drifts less within one comparison.
            fresh = [fetch_new_connection(host, port, path, token) for _ in range(half)]
            holder, held_before = hold_idle(port, options.idle, Path(tmp) / "idle.json")
            try:
                with_idle = [
                    fetch_new_connection(host, port, path, token) for _ in range(options.fetches)
                ]
                held_after = idle_held(Path(tmp) / "idle.json")
            finally:
                holder.terminate()
                holder.wait(timeout=30)
            fresh += [fetch_new_connection(host, port, path, token) for _ in range(half)]
            kept = http.client.HTTPConnection(host, port, timeout=5)
            alive = [fetch_kept_alive(kept, path, token) for _ in range(options.fetches)]
            kept.close()
            spawned = [spawn(process_cmd, env) for _ in range(options.spawns)]
            latencies, statuses, took = asyncio.run(
                crowd(host, port, path, token, options.clients, options.each)
            )
            rss_after = memory_kb(serve.pid, "VmRSS")
            rss_peak = memory_kb(serve.pid, "VmHWM")
        finally:
            serve.terminate()
            serve.wait(timeout=30)
        loaded = subprocess.run(
            [sys.executable, "-c", REFRESH_PATH],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        refresh_path_kb = int(loaded.stdout.strip())
        floor = subprocess.run(
            [sys.executable, "-c", REFRESH_PATH.split("\n", 1)[1]],
            capture_output=True,
            text=True,
            check=True,
        )
        python_kb = int(floor.stdout.strip())

    def ms(value: float) -> str:
        return f"{value * 1000:8.2f} ms"

    print(f"interpreter {sys.executable}; {os.cpu_count()} CPUs (shared)")
    print(f"{'':46}{'p50':>11} {'p99':>11}")
    rows = (
        ("endpoint, new connection per fetch", fresh),
        (f"  the same, {options.idle} idle connections held", with_idle),
        ("endpoint, kept-alive connection", alive),
        ("spawn `awslogin credential-process`", spawned),
    )
    for label, values in rows:
        print(f"{label:46}{ms(percentile(values, 0.5))} {ms(percentile(values, 0.99))}")
    slower = percentile(with_idle, 0.99) / percentile(fresh, 0.99)
    print(
        f"p99 with {options.idle} idle connections / p99 without: {slower:.2f}x "
        f"(held {held_before} when the fetches began, {held_after} when they ended)"
    )
    ratio = percentile(spawned, 0.5) / percentile(fresh, 0.5)
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"credential-process p50 / endpoint p50 (new connections): {ratio:.0f}x "
        f"({verdict} the target of {TARGET_RATIO:.0f}x)"
    )
    ok = statuses.count(200)
    print(
        f"{options.clients} concurrent clients x {options.each} fetches: {len(statuses)} in "
        f"{took:.2f} s = {len(statuses) / took:.0f}/s; p50 {ms(percentile(latencies, 0.5))}, "
        f"p99 {ms(percentile(latencies, 0.99))}; {ok} answered 200, {len(statuses) - ok} other"
    )
    peak_mb = rss_peak / 1024
    verdict = "within" if peak_mb < TARGET_RSS_MB else "OVER"
    print(
        f"serve RSS: {rss_start / 1024:.1f} MB at start, {rss_after / 1024:.1f} MB after the "
        f"load, peak {peak_mb:.1f} MB ({verdict} the target of {TARGET_RSS_MB:.0f} MB)"
    )
    print(
        f"for comparison: the server modules with the refresh path loaded "
        f"{refresh_path_kb / 1024:.1f} MB; this Python doing nothing {python_kb / 1024:.1f} MB"
    )


if __name__ == "__main__":
    main()
