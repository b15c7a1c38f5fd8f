"""docker-compose.yml's services run for real: podman containers on the host's network.

The compose file is rendered by docker-compose itself (`config`: variables substituted,
defaults applied), and each service becomes a `podman run` with the same image roles,
command, environment, user, read-only root, tmpfs, dropped capabilities, security
options and health check. What a test machine cannot give is translated, and only that:

* networks: every container shares the host's network and listens on 127.0.0.1, on a
  free port instead of its fixed one (podman's bridge networks are not used here). The
  service names still resolve (`--add-host relay-a:127.0.0.1`, ...), so the relays find
  `redis` and Caddy finds `relay-a` and `relay-b` by name, as in compose;
* addresses: the proxy reaches the relays from 127.0.0.1, not from its fixed address on
  the edge network, so that is the one proxy address the relays trust;
* deploy/Caddyfile: only its global options (ports, a loopback bind, no trust-store
  install) and the upstream ports change; the site block is the file's own;
* images: the relay image built from deploy/Dockerfile, and Redis and Caddy from
  Debian's packages (tests/peers/podman.py), in place of Docker Hub's.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.peers._process import LOOPBACK, free_port, http_ready
from tests.peers.podman import Container, Images, Podman

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
RELAYS = ("relay-a", "relay-b")
CONTAINER_PORT = 8080  # what the compose file's relays and Caddyfile's upstreams use


def render(env: Mapping[str, str]) -> dict[str, Any]:
    """docker-compose.yml as docker-compose resolves it with this environment."""
    compose = shutil.which("docker-compose")
    if compose is None:
        raise RuntimeError("docker-compose is missing (apt-get install docker-compose)")
    done = subprocess.run(
        [compose, "-f", str(COMPOSE), "config"],
        env={**env, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rendered: dict[str, Any] = yaml.safe_load(done.stdout)
    return rendered


def caddyfile_for_test(http_port: int, https_port: int, relay_ports: Mapping[str, int]) -> str:
    """deploy/Caddyfile with loopback ports; its site block untouched but upstream ports."""
    text = CADDYFILE.read_text()
    test_globals = (
        "{\n\tadmin off\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n"
    )
    text, replaced = re.subn(r"(?ms)^\{\n.*?^\}\n", test_globals, text, count=1)
    assert replaced == 1, "deploy/Caddyfile has no global options block"
    for name, port in relay_ports.items():
        upstream = f"{name}:{CONTAINER_PORT}"
        assert upstream in text, f"deploy/Caddyfile does not proxy to {upstream}"
        text = text.replace(upstream, f"{name}:{port}")
    return text


def run_options(service: Mapping[str, Any], hosts: list[str]) -> list[str]:
    """The `podman run` options that carry a compose service's own settings."""
    options = ["--network", "host", *(f"--add-host={name}:{LOOPBACK}" for name in hosts)]
    if service.get("read_only"):
        options.append("--read-only")
    for mount in service.get("tmpfs", []):
        options += ["--tmpfs", mount]
    for capability in service.get("cap_drop", []):
        options += ["--cap-drop", capability]
    for option in service.get("security_opt", []):
        options += ["--security-opt", option]
    if "user" in service:
        options += ["--user", str(service["user"])]
    return options


def environment(service: Mapping[str, Any], **overrides: str) -> list[str]:
    env = {**service.get("environment", {}), **overrides}
    return [f"--env={name}={value}" for name, value in env.items()]


def health_options(service: Mapping[str, Any], extra_args: list[str]) -> list[str]:
    """The service's compose health check, `extra_args` given to its program first."""
    kind, program, *args = service["healthcheck"]["test"]
    assert kind == "CMD", service["healthcheck"]
    return ["--health-cmd", json.dumps([program, *extra_args, *args])]


class ComposeTopology:
    """redis, relay-a, relay-b and proxy from docker-compose.yml, started in its order.

    `url` is the proxy's https address; `ca` Caddy's local root certificate, which a
    client trusts to reach it. `relays` maps each relay service to its container.
    """

    def __init__(
        self,
        podman: Podman,
        images: Images,
        workdir: Path,
        *,
        redis_password: str = "compose-test-0123456789abcdef",
    ) -> None:
        self.podman = podman
        self.images = images
        self.workdir = workdir
        self.redis_password = redis_password
        self.https_port = free_port()
        self.http_port = free_port()
        self.redis_port = free_port()
        self.relay_ports = {name: free_port() for name in RELAYS}
        self.url = f"https://{LOOPBACK}:{self.https_port}"
        self.services: dict[str, Any] = {}
        self.ca = workdir / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        self.redis: Container | None = None
        self.relays: dict[str, Container] = {}
        self.proxy: Container | None = None

    def relay_url(self, name: str) -> str:
        """A replica's own address, inside the network (for /metrics)."""
        return f"http://{LOOPBACK}:{self.relay_ports[name]}"

    def start(self, allowed_origins: str) -> ComposeTopology:
        """Render the compose file for this run, then start its services in order."""
        config = render(
            {
                "REDIS_PASSWORD": self.redis_password,
                "RELAY_ALLOWED_ORIGINS": allowed_origins,
                "RELAY_PUBLIC_URL": self.url,
                "RELAY_SITE_ADDRESS": LOOPBACK,
            }
        )
        self.services = config["services"]
        try:
            self._start_services()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_services(self) -> None:
        hosts = list(self.services)
        redis = self.services["redis"]
        port = ["--port", str(self.redis_port), "--bind", LOOPBACK]

        def redis_healthy() -> bool:
            return self.redis is not None and self.redis.healthcheck().returncode == 0

        self.redis = Container(
            self.podman,
            "redis",
            self.images.redis,
            [
                *run_options(redis, hosts),
                *environment(redis),
                *health_options(redis, ["-p", str(self.redis_port)]),
            ],
            [*redis["command"], *port],
            ready=redis_healthy,
        )
        self.redis.start()  # the relays' depends_on: condition: service_healthy
        proxy_address = self.services["proxy"]["networks"]["edge"]["ipv4_address"]
        for name in RELAYS:
            relay = self.services[name]
            env = relay["environment"]
            assert env["RELAY_TRUSTED_PROXIES"] == proxy_address
            store = env["RELAY_STORE"].replace("@redis:6379/", f"@redis:{self.redis_port}/")
            assert store != env["RELAY_STORE"], "RELAY_STORE does not point at redis:6379"
            options = run_options(relay, hosts)
            options += environment(
                relay,
                RELAY_HOST=LOOPBACK,
                RELAY_PORT=str(self.relay_ports[name]),
                RELAY_STORE=store,
                RELAY_TRUSTED_PROXIES=LOOPBACK,
            )
            self.relays[name] = Container(
                self.podman,
                name,
                self.images.relay,
                options,
                ready=http_ready(f"{self.relay_url(name)}/healthz", ok_status=200),
            ).start()
        self.proxy = self._start_proxy(hosts)

    def _start_proxy(self, hosts: list[str]) -> Container:
        proxy = self.services["proxy"]
        self.workdir.mkdir(parents=True, exist_ok=True)
        caddyfile = self.workdir / "Caddyfile"
        caddyfile.write_text(caddyfile_for_test(self.http_port, self.https_port, self.relay_ports))
        data, config = self.workdir / "caddy-data", self.workdir / "caddy-config"
        data.mkdir(parents=True, exist_ok=True)
        config.mkdir(parents=True, exist_ok=True)
        mounts = {"/etc/caddy/Caddyfile": f"{caddyfile}:/etc/caddy/Caddyfile:ro"}
        for volume in proxy["volumes"]:
            target = volume["target"] if isinstance(volume, dict) else volume.split(":")[1]
            if target == "/data":
                mounts[target] = f"{data}:/data"
            elif target == "/config":
                mounts[target] = f"{config}:/config"
        assert set(mounts) == {"/etc/caddy/Caddyfile", "/data", "/config"}, proxy["volumes"]
        options = run_options(proxy, hosts) + environment(proxy)
        for mount in mounts.values():
            options += ["--volume", mount]

        def ready() -> bool:
            if not self.ca.exists():
                return False
            try:
                context = ssl.create_default_context(cafile=str(self.ca))
                response = httpx.get(f"{self.url}/healthz", verify=context, timeout=2)
            except httpx.HTTPError:
                return False
            return response.status_code == 200

        return Container(self.podman, "proxy", self.images.caddy, options, ready=ready).start()

    def stop(self) -> None:
        for container in [self.proxy, *self.relays.values(), self.redis]:
            if container is not None:
                container.stop()

    def __enter__(self) -> ComposeTopology:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
