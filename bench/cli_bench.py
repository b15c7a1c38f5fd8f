"""Start-up cost of `awslogin credential-process` on a cache hit (a benchmark, not a test).

Every AWS SDK client created by a program runs the credential_process command, so this
path should cost little more than starting Python. The script makes a throw-away config
and a fresh cache entry, then times, in the same run and interleaved:

* `python3 -c pass` (the floor), and
* the installed `awslogin credential-process --profile bench` (the console script beside
  this interpreter; not a pyenv shim, whose shell wrapper would dominate),

prints both medians and their ratio (target <= 3), and the `-X importtime` breakdown of
the awslogin path, biggest cumulative imports first. The same is timed for an aws-signin
profile (`--profile bench-signin`), whose cache hit reads botocore's login cache. Last,
what a Tab costs: `awslogin` answering a shell's completion of `login --profile b` (the
parser built, the config read), a Python start per Tab.

    python bench/cli_bench.py [--runs 40]
"""

from __future__ import annotations

import argparse
import hashlib
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
    env.update(make_signin_profile(root, config))
    return env


def make_signin_profile(root: Path, config: Path) -> dict[str, str]:
    """Profile `bench-signin` and its session in botocore's login cache, as `aws login`
    would leave them (the key and tokens are placeholders: a cache hit does not read them)."""
    session = "arn:aws:iam::123456789012:user/bench"
    with config.open("a") as handle:
        handle.write(
            f"\n[profile bench-signin]\nawslogin_provider = aws-signin\nregion = us-east-1\n"
            f"login_session = {session}\n"
        )
    login_cache = root / "login-cache"
    login_cache.mkdir(mode=0o700)
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    token = {
        "accessToken": {
            "accessKeyId": "ASIABENCH",
            "secretAccessKey": "s",
            "sessionToken": "t",
            "accountId": "123456789012",
            "expiresAt": expires,
        },
        "tokenType": "aws_sigv4",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "refreshToken": "r",
        "idToken": "h.e30.s",
        "dpopKey": "k",
    }
    name = hashlib.sha256(session.encode()).hexdigest() + ".json"
    (login_cache / name).write_text(json.dumps(token))
    return {"AWS_LOGIN_CACHE_DIRECTORY": str(login_cache)}


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
        signin_cmd = [str(script), "credential-process", "--profile", "bench-signin"]
        line = "awslogin login --profile b"
        tab_env = {
            **env,
            "_ARGCOMPLETE": "1",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(Path(tmp) / "completions"),
        }
        for _ in range(3):  # warm the page cache and .pyc files
            wall(baseline_cmd, env)
            wall(awslogin_cmd, env)
            wall(signin_cmd, env)
            wall([str(script)], tab_env)
        baseline, awslogin, signin, tab = [], [], [], []
        for _ in range(options.runs):
            baseline.append(wall(baseline_cmd, env))
            awslogin.append(wall(awslogin_cmd, env))
            signin.append(wall(signin_cmd, env))
            tab.append(wall([str(script)], tab_env))
        base_ms = statistics.median(baseline) * 1000
        print(f"runs: {options.runs} each, interleaved; interpreter {sys.executable}")
        print("python3 -c pass".ljust(62) + f"median {base_ms:7.1f} ms")
        for label, times in (("oidc", awslogin), ("aws-signin, botocore's cache", signin)):
            cli_ms = statistics.median(times) * 1000
            ratio = cli_ms / base_ms
            verdict = "within" if ratio <= TARGET_RATIO else "OVER"
            print(
                f"credential-process cache hit ({label}):".ljust(62)
                + f"median {cli_ms:7.1f} ms, ratio {ratio:.2f} "
                f"({verdict} the target of {TARGET_RATIO:.0f})"
            )
        tab_ms = statistics.median(tab) * 1000
        offered = (Path(tmp) / "completions").read_text().split("\x0b")
        print(
            "a Tab (`awslogin login --profile b<Tab>`):".ljust(62)
            + f"median {tab_ms:7.1f} ms, ratio {tab_ms / base_ms:.2f} "
            f"(offers {', '.join(offered)})"
        )
        print()
        print("-X importtime of the awslogin path (top by cumulative time):")
        print("\n".join(import_breakdown(awslogin_cmd, env, options.top)))


if __name__ == "__main__":
    main()
