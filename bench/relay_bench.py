"""Relay capacity and latency benchmark (not a test): `python bench/relay_bench.py`.

Each phase starts a fresh relay (`python -m awslogin_relay`, uvicorn, one worker, the
memory store or, with `--store redis://...`, a Redis store) on 127.0.0.1 as its own
process, and drives it from a separate load process that speaks HTTP/1.1 over raw
asyncio sockets (an HTTP library per connection would cost the client more than the
relay). It prints:

1. concurrent waiting long-polls held, and the relay's RSS while holding them
   (target 10,000 under 300 MB);
2. full lifecycles per second (create, confirm, callback, collect, acknowledge, report
   the outcome) against GET /healthz of the same app in the same run (target ratio
   >= 0.25); the browser's confirmation is part of every real lifecycle, since
   /callback needs the cookie it sets, and so are the host's ack and outcome; and the
   same lifecycle with number matching (a host of protocol revision 2: the number
   chosen on the page, and the host's poll that collects the confirmation notice)
   beside it, in alternating windows of the same run (the ratio is its cost);
3. callback-to-host wake latency p50/p99 with 1,000 hosts waiting (target p99 < 50 ms).

Everything is bounded: counts are fixed, every wait has a deadline, and the relay is
stopped at the end of each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
IDP = "https://idp.bench"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
PHASE_DEADLINE = 120.0
ROUNDS = 10  # alternating measurement windows in the throughput phase


# -- the relay process ------------------------------------------------------------------


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RelayProcess:
    store: str
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, log_path: Path) -> None:
        env = {
            **os.environ,
            "RELAY_HOST": HOST,
            "RELAY_PORT": str(self.port),
            "RELAY_PUBLIC_URL": self.url,
            "RELAY_ALLOWED_ORIGINS": IDP,
            "RELAY_POLL_INTERVAL": "0",
            "RELAY_MAX_PENDING": "100000",
            "RELAY_MAX_PENDING_PER_CLIENT": "100000",  # every client here is 127.0.0.1
            "RELAY_RATE_CREATE": "10000000",
            "RELAY_RATE_COLLECT": "10000000",
            "RELAY_RATE_BROWSER": "10000000",
            "RELAY_MAX_WAIT": "60",
            "RELAY_LOG_LEVEL": "info",
            "RELAY_STORE": self.store,
        }
        log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "awslogin_relay"],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=_raise_nofile,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"relay exited early; see {log_path}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("relay did not become ready")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- a minimal HTTP/1.1 client over raw sockets -----------------------------------------


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends one request and awaits its response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.head = b""  # the last response's status line and headers
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop transports are not asyncio.Transport subclasses, so no isinstance check
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._maybe_complete()

    def _maybe_complete(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        self.head = bytes(self.buffer[:end])
        head = self.head.lower()
        length = 0
        marker = head.find(b"content-length:")
        if marker >= 0:
            line_end = head.find(b"\r\n", marker)
            length = int(head[marker + 15 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(head[9:12])
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        self.waiter.set_result((status, body))

    def send(self, raw: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        return await self.send(raw)

    def set_cookie(self) -> str:
        """`name=value` of the last response's Set-Cookie (what a browser sends back)."""
        for line in self.head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"set-cookie":
                return value.strip().split(b";", 1)[0].decode()
        raise RuntimeError("the response set no cookie")


async def connect(port: int) -> HttpConnection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(HttpConnection, HOST, port)
    return protocol


def get(path: str, token: str | None = None, cookie: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    cookies = f"Cookie: {cookie}\r\n" if cookie else ""
    return f"GET {path} HTTP/1.1\r\nHost: relay\r\n{auth}{cookies}\r\n".encode()


def post(path: str, token: str, body: bytes = b"") -> bytes:
    """A host's POST with its poll token (an empty body for an ack, JSON for a report)."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


OUTCOME = b'{"outcome":"signed_in","account_id":"123456789012","role":"bench"}'


# A phone's User-Agent: the relay reduces it to a few words for the confirmation notice.
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def confirm_request(pairing_id: str, number: int | None = None) -> bytes:
    """The "this is my terminal" button (an empty form POST), or the number chosen."""
    body = b"" if number is None else f"number={number}".encode()
    return (
        f"POST /p/{pairing_id}/confirm HTTP/1.1\r\nHost: relay\r\nUser-Agent: {PHONE}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def confirm(conn: HttpConnection, pairing_id: str, number: int | None = None) -> str:
    """Press the button (or choose `number`) as a browser would; returns the binding
    cookie to send back."""
    status, body = await conn.request(confirm_request(pairing_id, number))
    if status != 303:
        raise RuntimeError(f"confirm answered {status}: {body[:200]!r}")
    return conn.set_cookie()


class PairingMaker:
    """Creates pairings with unique states; one host key serves them all."""

    def __init__(self, url: str, tag: str, revision: int = 1) -> None:
        from awslogin_protocol.sealing import HostKey

        self.revision = revision
        self.key = HostKey()
        self.callback = f"{url}/callback"
        self.tag = tag
        self.count = 0

    def next_request(self) -> tuple[bytes, str]:
        self.count += 1
        state = f"bench{self.tag}{self.count:018d}"
        authorize = (
            f"{IDP}/authorize?response_type=code&client_id=bench&redirect_uri={self.callback}"
            f"&state={state}&code_challenge={CHALLENGE}&code_challenge_method=S256"
        )
        body = json.dumps(
            {
                "authorize_url": authorize,
                "mode": "redirect",
                "public_key": self.key.public_key,
                "host": {"hostname": "bench", "user": "bench", "client": "relay_bench"},
                **({"revision": self.revision} if self.revision > 1 else {}),
            }
        ).encode()
        head = (
            "POST /v1/pairings HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + body, state


async def create_pairings(
    port: int, maker: PairingMaker, count: int, connections: int = 16
) -> list[tuple[str, str, str]]:
    """Returns (pairing_id, poll_token, state) for `count` new pairings."""
    made: list[tuple[str, str, str]] = []

    async def worker(share: int) -> None:
        conn = await connect(port)
        for _ in range(share):
            raw, state = maker.next_request()
            status, body = await conn.request(raw)
            if status != 201:
                raise RuntimeError(f"create answered {status}: {body[:200]!r}")
            created = json.loads(body)
            made.append((created["pairing_id"], created["poll_token"], state))
        assert conn.transport
        conn.transport.close()

    shares = [
        count // connections + (1 if i < count % connections else 0) for i in range(connections)
    ]
    await asyncio.gather(*(worker(share) for share in shares))
    return made


async def active_long_polls(port: int) -> int:
    conn = await connect(port)
    _, body = await conn.request(get("/metrics"))
    assert conn.transport
    conn.transport.close()
    for line in body.decode().splitlines():
        if line.startswith("awslogin_relay_active_long_polls "):
            return int(float(line.split()[1]))
    return -1


async def open_long_polls(
    port: int, pairings: list[tuple[str, str, str]], wait: int
) -> list[tuple[HttpConnection, asyncio.Future[tuple[int, bytes]]]]:
    """One connection per pairing, each with a long-poll in flight."""
    held: list[tuple[HttpConnection, asyncio.Future[tuple[int, bytes]]]] = []
    gate = asyncio.Semaphore(256)

    async def one(pairing_id: str, token: str) -> None:
        async with gate:
            conn = await connect(port)
        future = conn.send(get(f"/v1/pairings/{pairing_id}/result?wait={wait}", token))
        held.append((conn, future))

    await asyncio.gather(*(one(pid, token) for pid, token, _ in pairings))
    return held


def release(held: list[tuple[HttpConnection, asyncio.Future[tuple[int, bytes]]]]) -> None:
    """Hang up on every held long-poll without leaving unretrieved exceptions behind."""
    for conn, future in held:
        future.cancel()
        if conn.transport:
            conn.transport.close()


async def wait_for_gauge(port: int, target: int, deadline: float) -> int:
    seen = -1
    while time.monotonic() < deadline:
        seen = await active_long_polls(port)
        if seen >= target:
            break
        await asyncio.sleep(0.25)
    return seen


# -- the three phases (each runs in the load process) -----------------------------------


async def phase_hold(port: int, relay_pid: int, count: int) -> dict[str, Any]:
    started = time.monotonic()
    deadline = started + PHASE_DEADLINE
    baseline = rss_mb(relay_pid)
    pairings = await create_pairings(port, PairingMaker(f"http://{HOST}:{port}", "h"), count)
    after_create = rss_mb(relay_pid)
    held = await open_long_polls(port, pairings, wait=60)
    waiting = await wait_for_gauge(port, count, deadline)
    await asyncio.sleep(1)
    rss = rss_mb(relay_pid)
    answered_early = sum(1 for _, future in held if future.done())
    release(held)
    return {
        "requested": count,
        "waiting": waiting,
        "answered_early": answered_early,
        "rss_idle_mb": baseline,
        "rss_with_pairings_mb": after_create,
        "rss_holding_mb": rss,
        "seconds": time.monotonic() - started,
    }


async def _for_duration(
    port: int, connections: int, seconds: float, step: Callable[[HttpConnection, int], Any]
) -> int:
    done = 0
    stop_at = time.monotonic() + seconds

    async def worker(index: int) -> None:
        nonlocal done
        conn = await connect(port)
        n = 0
        while time.monotonic() < stop_at:
            await step(conn, index * 10_000_000 + n)
            n += 1
            done += 1
        assert conn.transport
        conn.transport.close()

    await asyncio.gather(*(worker(i) for i in range(connections)))
    return done


async def phase_throughput(
    port: int, relay_pid: int, seconds: float, connections: int
) -> dict[str, Any]:
    maker = PairingMaker(f"http://{HOST}:{port}", "t")
    numbered = PairingMaker(f"http://{HOST}:{port}", "n", revision=2)
    healthz = get("/healthz")

    async def trivial(conn: HttpConnection, _: int) -> None:
        status, _body = await conn.request(healthz)
        assert status == 200

    async def lifecycle(conn: HttpConnection, _: int) -> None:
        await _lifecycle(conn, maker)

    async def matched(conn: HttpConnection, _: int) -> None:
        await _lifecycle(conn, numbered)

    async def _lifecycle(conn: HttpConnection, maker: PairingMaker) -> None:
        raw, state = maker.next_request()
        status, body = await conn.request(raw)
        assert status == 201, body
        created = json.loads(body)
        path, token = f"/v1/pairings/{created['pairing_id']}", created["poll_token"]
        number = created.get("match_number")
        cookie = await confirm(conn, created["pairing_id"], number)
        if number is not None:  # the host's poll that tells who confirmed
            status, body = await conn.request(get(f"{path}/result?until=confirmation", token))
            assert status == 200
            assert b'"browser":"Safari on iPhone"' in body, body
        status, _body = await conn.request(
            get(f"/callback?code=bench-code&state={state}", cookie=cookie)
        )
        assert status == 303
        status, body = await conn.request(get(f"{path}/result", token))
        assert status == 200
        assert body.startswith(b'{"status":"complete"'), body
        status, body = await conn.request(post(f"{path}/ack", token))
        assert status == 204, body
        status, body = await conn.request(post(f"{path}/outcome", token, OUTCOME))
        assert status == 204, body

    await _for_duration(port, connections, 1.0, trivial)  # warm-up
    await _for_duration(port, connections, 1.0, lifecycle)
    await _for_duration(port, connections, 1.0, matched)
    # Alternate short windows so that load from elsewhere on the machine weighs on all
    # measurements alike; count relay CPU time per window as the steadier figure.
    healthz_count = lifecycle_count = matched_count = 0
    healthz_cpu = lifecycle_cpu = matched_cpu = 0.0
    window = seconds / ROUNDS
    for _ in range(ROUNDS):
        cpu_start = cpu_seconds(relay_pid)
        healthz_count += await _for_duration(port, connections, window, trivial)
        cpu_middle = cpu_seconds(relay_pid)
        lifecycle_count += await _for_duration(port, connections, window, lifecycle)
        cpu_late = cpu_seconds(relay_pid)
        matched_count += await _for_duration(port, connections, window, matched)
        matched_cpu += cpu_seconds(relay_pid) - cpu_late
        lifecycle_cpu += cpu_late - cpu_middle
        healthz_cpu += cpu_middle - cpu_start
    healthz_rate = healthz_count / seconds
    lifecycle_rate = lifecycle_count / seconds
    matched_rate = matched_count / seconds
    return {
        "matched_per_s": matched_rate,
        "matched_ratio": matched_rate / lifecycle_rate,
        "matched_cpu_us": matched_cpu / matched_count * 1e6,
        "healthz_per_s": healthz_rate,
        "lifecycles_per_s": lifecycle_rate,
        "ratio": lifecycle_rate / healthz_rate,
        "healthz_cpu_us": healthz_cpu / healthz_count * 1e6,
        "lifecycle_cpu_us": lifecycle_cpu / lifecycle_count * 1e6,
        "seconds": seconds,
        "connections": connections,
    }


async def phase_wake(port: int, hosts: int) -> dict[str, Any]:
    deadline = time.monotonic() + PHASE_DEADLINE
    pairings = await create_pairings(port, PairingMaker(f"http://{HOST}:{port}", "w"), hosts)
    held = await open_long_polls(port, pairings, wait=60)
    waiting = await wait_for_gauge(port, hosts, deadline)
    browser = await connect(port)
    # every host's person confirms first (not timed): the callback needs that cookie
    cookies = [await confirm(browser, pairing_id) for pairing_id, _, _ in pairings]
    latencies: list[float] = []
    for (_, _, state), cookie, (_, future) in zip(pairings, cookies, held, strict=True):
        started = time.perf_counter()
        status, _ = await browser.request(
            get(f"/callback?code=bench-code&state={state}", cookie=cookie)
        )
        assert status == 303
        status, body = await asyncio.wait_for(future, 10)
        latencies.append(time.perf_counter() - started)
        assert status == 200
        assert body.startswith(b'{"status":"complete"'), body
    release(held)
    latencies.sort()
    return {
        "hosts": hosts,
        "waiting": waiting,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def load_process(phase: str, port: int, relay_pid: int, options: dict[str, Any], out: Any) -> None:
    _raise_nofile()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - the relay extra brings it
        pass
    try:
        if phase == "hold":
            result = asyncio.run(phase_hold(port, relay_pid, options["long_polls"]))
        elif phase == "throughput":
            result = asyncio.run(
                phase_throughput(port, relay_pid, options["seconds"], options["connections"])
            )
        else:
            result = asyncio.run(phase_wake(port, options["hosts"]))
    except BaseException as exc:
        out.put({"failed": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    out.put(result)


def run_phase(phase: str, options: dict[str, Any], log_dir: Path) -> dict[str, Any]:
    relay = RelayProcess(options["store"])
    relay.start(log_dir / f"relay-{phase}.log")
    try:
        assert relay.process is not None
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        loader = context.Process(
            target=load_process, args=(phase, relay.port, relay.process.pid, options, queue)
        )
        loader.start()
        try:
            result: dict[str, Any] = queue.get(timeout=PHASE_DEADLINE + 60)
            if "failed" in result:
                raise SystemExit(f"load process failed in phase {phase}: {result['failed']}")
        finally:
            loader.join(10)
            if loader.is_alive():
                loader.kill()
        return result
    finally:
        relay.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long-polls", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--phases", default="hold,throughput,wake")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp/relay-bench"))
    parser.add_argument(
        "--store", default="memory", help="RELAY_STORE: memory (default) or a redis:// URL"
    )
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)
    options = vars(args)
    phases = args.phases.split(",")
    store = "memory store" if args.store == "memory" else "Redis store"
    print(f"relay benchmark: one uvicorn worker, {store}, 127.0.0.1; logs in {args.log_dir}")
    if "hold" in phases:
        hold = run_phase("hold", options, args.log_dir)
        verdict = "OK" if hold["waiting"] >= 10_000 and hold["rss_holding_mb"] < 300 else "MISS"
        print(
            f"1. long-polls held concurrently: {hold['waiting']} of {hold['requested']} "
            f"(answered early: {hold['answered_early']}); "
            f"relay RSS {hold['rss_holding_mb']:.0f} MB (idle {hold['rss_idle_mb']:.0f} MB, "
            f"with the pairings {hold['rss_with_pairings_mb']:.0f} MB)"
            f"  [target 10000 under 300 MB: {verdict}]"
        )
    if "throughput" in phases:
        tp = run_phase("throughput", options, args.log_dir)
        verdict = "OK" if tp["ratio"] >= 0.25 else "MISS"
        print(
            "2. full lifecycles (create, confirm, callback, collect, ack, outcome): "
            f"{tp['lifecycles_per_s']:.0f}/s; "
            f"GET /healthz: {tp['healthz_per_s']:.0f}/s; ratio {tp['ratio']:.2f} "
            f"({tp['connections']} connections, {tp['seconds']:g} s each in {ROUNDS} "
            "alternating windows)"
            f"  [target >= 0.25: {verdict}]\n"
            f"   relay CPU per lifecycle {tp['lifecycle_cpu_us']:.0f} us, per /healthz "
            f"{tp['healthz_cpu_us']:.0f} us "
            f"(CPU ratio {tp['healthz_cpu_us'] / tp['lifecycle_cpu_us']:.2f})\n"
            "   with number matching (the number chosen, the host's poll for the "
            f"confirmation notice): {tp['matched_per_s']:.0f}/s; ratio to the lifecycle "
            f"without it {tp['matched_ratio']:.2f}; relay CPU {tp['matched_cpu_us']:.0f} us "
            f"per lifecycle (without: {tp['lifecycle_cpu_us']:.0f} us)"
        )
    if "wake" in phases:
        wake = run_phase("wake", options, args.log_dir)
        verdict = "OK" if wake["p99_ms"] < 50 else "MISS"
        print(
            f"3. callback-to-host wake latency with {wake['waiting']} hosts waiting: "
            f"p50 {wake['p50_ms']:.2f} ms, p99 {wake['p99_ms']:.2f} ms, max {wake['max_ms']:.2f} ms"
            f"  [target p99 < 50 ms: {verdict}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
