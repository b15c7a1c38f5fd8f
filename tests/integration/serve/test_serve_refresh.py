"""The session behind `awslogin serve`: one refresh for every client at expiry (with
credential-process in the same moment), refreshes while nobody asks, and clients that
reach a loopback-bound serve from another host through NAT."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.peers.ci import require_peer
from tests.peers.netns import NetnsHost
from tests.support.host import awslogin_script
from tests.support.serve_clients import ServeProcess, boto3_failure, boto3_identity, client_env
from tests.support.token_proxy import TokenProxy, route_refreshes

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = 50
PROCESSES = 10


def fetch(url: str, token: str) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": token}, timeout=60)


@pytest.mark.timeout(180)
def test_fifty_clients_at_expiry_make_one_refresh_with_credential_process_too(
    oidc_env: dict[str, str], oidc_cache: Path, token_proxy: TokenProxy, tmp_path: Path
) -> None:
    # Fresh for 5 more seconds; then serve's credentials are due for a refresh, which the
    # IdP (through the proxy) takes 2 s to answer, while everyone asks at once.
    route_refreshes(oidc_cache, token_proxy, expires_in=305)
    due = json.loads(oidc_cache.read_text())["credentials"]["ExpiresAt"] - 300
    old_key = json.loads(oidc_cache.read_text())["credentials"]["AccessKeyId"]
    token_proxy.delay = 2.0
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        assert token_proxy.refreshes == 0
        time.sleep(max(0.0, due - time.time()) + 0.2)
        for _ in range(5):  # without the token nothing happens, due or not
            assert httpx.get(serve.url, timeout=5).status_code == 401
        processes = [
            subprocess.Popen(
                [awslogin_script(), "credential-process", "--profile", "dev"],
                env=oidc_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(lambda _: fetch(serve.url, serve.token), range(CLIENTS)))
        outputs = [process.communicate(timeout=120) for process in processes]

        assert [answer.status_code for answer in answers] == [200] * CLIENTS
        keys = {answer.json()["AccessKeyId"] for answer in answers}
        assert all(process.returncode == 0 for process in processes), outputs
        keys |= {json.loads(out)["AccessKeyId"] for out, _ in outputs}
        assert token_proxy.refreshes == 1
        assert len(keys) == 1
        assert keys != {old_key}
        assert keys == {json.loads(oidc_cache.read_text())["credentials"]["AccessKeyId"]}
    assert [line["outcome"] for line in serve.audit()].count("served") == CLIENTS


@pytest.mark.timeout(120)
def test_an_idle_serve_refreshes_before_each_expiry(
    oidc_env: dict[str, str], oidc_cache: Path, token_proxy: TokenProxy, sts: Any, tmp_path: Path
) -> None:
    sts.credential_seconds = 12  # credentials that end within seconds, as if hours passed
    route_refreshes(oidc_cache, token_proxy, expires_in=0)
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log"):
        keys, ends = set(), []
        deadline = time.monotonic() + 60
        while token_proxy.refreshes < 4:  # nobody asks serve anything
            assert time.monotonic() < deadline, token_proxy.refreshes
            credentials = json.loads(oidc_cache.read_text())["credentials"]
            assert credentials["ExpiresAt"] > time.time()  # never allowed to run out
            keys.add(credentials["AccessKeyId"])
            ends.append(credentials["ExpiresAt"])
            time.sleep(0.25)
    assert len(keys) >= 3
    assert ends == sorted(ends)
    # The last rotated refresh token is the one the IdP accepts next.
    done = subprocess.run(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=oidc_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_ctrl_c_during_a_refresh_waits_for_it_and_loses_no_token(
    oidc_env: dict[str, str], oidc_cache: Path, token_proxy: TokenProxy, tmp_path: Path
) -> None:
    route_refreshes(oidc_cache, token_proxy, expires_in=60)
    before = json.loads(oidc_cache.read_text())
    token_proxy.delay = 2.0  # the IdP takes its time: Ctrl-C lands in the middle
    serve = subprocess.Popen(
        [awslogin_script(), "serve", "--profile", "dev"],
        env=oidc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while token_proxy.refreshes == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    serve.send_signal(signal.SIGINT)
    out, err = serve.communicate(timeout=60)
    assert serve.returncode == 130
    assert out == ""  # it stopped before serving: no variables
    assert err == ""
    after = json.loads(oidc_cache.read_text())
    assert after["providerState"]["refreshToken"] != before["providerState"]["refreshToken"]
    assert after["credentials"]["ExpiresAt"] > before["credentials"]["ExpiresAt"]
    # The rotated token that the worker saved is the one the IdP accepts now.
    route_refreshes(oidc_cache, token_proxy, expires_in=60)
    token_proxy.delay = 0.0
    done = subprocess.run(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=oidc_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert token_proxy.refreshes == 2


@pytest.mark.timeout(120)
def test_the_session_limit_is_announced_then_reaches_boto3_as_one_line(
    oidc_env: dict[str, str], oidc_cache: Path, sts: Any, tmp_path: Path
) -> None:
    sts.credential_seconds = 4  # as the session's last credentials, which end with it
    record = json.loads(oidc_cache.read_text())
    record["session"]["expiresAt"] = int(time.time()) + 10  # the 12 hours are nearly over
    record["credentials"]["ExpiresAt"] = int(time.time())
    oidc_cache.write_text(json.dumps(record))
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        deadline = time.monotonic() + 10
        while len(serve.messages()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        warning = serve.messages()[1]
        assert re.fullmatch(
            r"awslogin: the session of profile dev ends at \d\d:\d\d \(in \d s\): "
            r"run `awslogin login --profile dev` to go on without a break",
            warning,
        ), warning
        clients = client_env(serve.variables, tmp_path)
        assert boto3_identity(clients, sts.endpoint_url)["method"] == "container-role"

        time.sleep(max(0.0, record["session"]["expiresAt"] + 4.5 - time.time()))
        line = (
            "awslogin: the session has reached its time limit: run `awslogin login --profile dev`"
        )
        failure = boto3_failure(clients)
        assert failure.endswith(
            "Received non 200 response 403 from container metadata: "
            + json.dumps({"code": "LoginRequired", "message": line})
        ), failure
        assert f"{line}; until then, clients get this message" in serve.stderr()
    assert "Traceback" not in serve.stderr()


def test_a_client_from_another_host_is_refused_on_loopback(
    oidc_env: dict[str, str], netns_host: NetnsHost, tmp_path: Path, free_port: int
) -> None:
    # serve on the namespace's own loopback; route_localnet and a DNAT rule there make
    # its 127.0.0.1 reachable from the other side of the link (the CVE-2020-8558 setup).
    require_peer(shutil.which("iptables") is not None, "iptables")
    setup = [
        ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1"],
        [
            "iptables",
            "-t",
            "nat",
            "-A",
            "PREROUTING",
            "-p",
            "tcp",
            "-d",
            netns_host.netns_address,
            "--dport",
            str(free_port),
            "-j",
            "DNAT",
            "--to-destination",
            f"127.0.0.1:{free_port}",
        ],
    ]
    for command in setup:
        done = netns_host.run(command)
        assert done.returncode == 0, done.stderr
    with ServeProcess(
        oidc_env,
        "dev",
        "--port",
        str(free_port),
        log=tmp_path / "serve.log",
        prefix=netns_host.argv([]),
    ) as serve:
        outside = serve.url.replace("127.0.0.1", netns_host.netns_address)
        for _ in range(3):
            with pytest.raises(httpx.TransportError):
                fetch(outside, serve.token)
        inside = netns_host.run(
            [
                "python3",
                "-c",
                "import sys, urllib.request as u; r = u.urlopen(u.Request("
                "sys.argv[1], headers={'Authorization': sys.argv[2]})); print(r.status)",
                serve.url,
                serve.token,
            ]
        )
        assert inside.stdout.strip() == "200", inside.stderr
        assert serve.stop() == 0
    audit = serve.audit()
    # The first refusal at once, the two others of the minute counted when serve stopped.
    assert [(line["client"], line["outcome"], line.get("count")) for line in audit] == [
        (netns_host.root_address, "refused_client", None),
        ("127.0.0.1", "served", None),
        (netns_host.root_address, "refused_client", 2),
    ]
    assert "Traceback" not in serve.stderr()
