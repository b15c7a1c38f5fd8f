"""Start-up cost of `awslogin credential-process` on a cache hit (a benchmark, not a test).

Every AWS SDK client created by a program runs the credential_process command, so this
path should cost little more than starting Python. The script makes a throw-away config
and a fresh cache entry, then times, in the same run and interleaved:

* `python3 -c pass` (the floor), and
* the installed `awslogin credential-process --profile bench` (the console script beside
  this interpreter; not a pyenv shim, whose shell wrapper would dominate),

prints both medians and their ratio (target <= 3), and the `-X importtime` breakdown of
the awslogin path, biggest cumulative imports first.

    python bench/cli_bench.py [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0


def make_profile(root: Path) -> dict[str, str]:
    config = root / "config"
    config.write_text(
        "[profile bench]\nawslogin_provider = oidc\nawslogin_issuer = https://idp.example.test\n"
        "awslogin_client_id = bench\nawslogin_role_arn = arn:aws:iam::123456789012:role/bench\n"
        "region = us-east-1\ncredential_process = awslogin credential-process --profile bench\n"
    )
    cache = root / "cache"
    cache.mkdir(mode=0o700)
    now = int(time.time())
    record = {
        "version": 1,
        "provider": "oidc",
        "profile": "bench",
        "config": {
            "awslogin_issuer": "https://idp.example.test",
            "awslogin_client_id": "bench",
            "awslogin_role_arn": "arn:aws:iam::123456789012:role/bench",
        },
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/bench/b", "subject": "b"},
        "credentials": {
            "AccessKeyId": "ASIABENCH",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
            "ExpiresAt": now + 3600,
        },
        "session": {"startedAt": now, "expiresAt": now + 40000},
        "providerState": {},
    }
    (cache / "oidc--bench.json").write_text(json.dumps(record))
    env = dict(os.environ)
    env.update({"AWS_CONFIG_FILE": str(config), "AWSLOGIN_CACHE_DIR": str(cache)})
    return env


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode().strip()}")
    return elapsed


def import_breakdown(command: list[str], env: dict[str, str], top: int) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        self_us = int(parts[0].split(":", 1)[1])
        rows.append((int(parts[1]), self_us, parts[2].rstrip()))
    ours = sum(
        c for c, _, n in rows if n.strip() == "awslogin" or n.strip().startswith("awslogin.")
    )
    total = sum(c for c, _, n in rows if not n.startswith("  "))
    rows.sort(reverse=True)
    lines = [f"{'cumulative ms':>14} {'self ms':>8}  module"]
    lines += [f"{c / 1000:14.1f} {s / 1000:8.1f}  {n.strip()}" for c, s, n in rows[:top]]
    heavy = sorted(
        {n.strip() for _, _, n in rows}
        & {"httpx", "cryptography", "qrcode", "jwt", "filelock", "argparse"}
    )
    lines.append(
        f"all top-level imports: {total / 1000:.1f} ms (site and the console script "
        f"wrapper included); awslogin modules themselves (self): {ours / 1000:.1f} ms"
    )
    lines.append(f"heavy modules imported: {', '.join(heavy) if heavy else 'none'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--top", type=int, default=25, help="rows of the import breakdown")
    options = parser.parse_args()
    script = Path(sys.executable).parent / "awslogin"
    if not script.is_file():
        sys.exit(f"no awslogin console script beside {sys.executable}: pip install -e .")
    with tempfile.TemporaryDirectory() as tmp:
        env = make_profile(Path(tmp))
        baseline_cmd = [sys.executable, "-c", "pass"]
        awslogin_cmd = [str(script), "credential-process", "--profile", "bench"]
        for _ in range(3):  # warm the page cache and .pyc files
            wall(baseline_cmd, env)
            wall(awslogin_cmd, env)
        baseline, awslogin = [], []
        for _ in range(options.runs):
            baseline.append(wall(baseline_cmd, env))
            awslogin.append(wall(awslogin_cmd, env))
        base_ms = statistics.median(baseline) * 1000
        cli_ms = statistics.median(awslogin) * 1000
        ratio = cli_ms / base_ms
        print(f"runs: {options.runs} each, interleaved; interpreter {sys.executable}")
        print(f"python3 -c pass                          median {base_ms:7.1f} ms")
        print(f"awslogin credential-process (cache hit)  median {cli_ms:7.1f} ms")
        verdict = "within" if ratio <= TARGET_RATIO else "OVER"
        print(f"ratio {ratio:.2f} ({verdict} the target of {TARGET_RATIO:.0f})")
        print()
        print("-X importtime of the awslogin path (top by cumulative time):")
        print("\n".join(import_breakdown(awslogin_cmd, env, options.top)))


if __name__ == "__main__":
    main()
