"""deploy/Dockerfile, built with podman and run as an operator runs it: read-only root,
user 10001:10001, HEALTHCHECK passing, the version it was built with, and a whole remote
login through the relay in the container (the CLI as a subprocess, Chromium as the phone,
node-oidc-provider, STS).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.e2e.host import StartLogin
from tests.e2e.journey import (
    ROLE_ARN,
    SIGNED_IN_LINE,
    configure_profile,
    read_sign_in_screen,
    sign_in_on_phone,
)
from tests.peers._process import LOOPBACK, free_port, http_ready
from tests.peers.oidc import OidcProvider
from tests.peers.podman import VERSION, XDIST_GROUP, Container, Images, Podman
from tests.peers.sts import StsPeer
from tests.support.reporting import Say

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.xdist_group(XDIST_GROUP),
]


def test_the_image_runs_read_only_as_10001_healthy_and_serves_a_remote_login(
    podman: Podman,
    images: Images,
    say: Say,
    host_env: dict[str, str],
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
    sts: StsPeer,
) -> None:
    inspected = podman.image_inspect(images.relay)
    assert inspected["Config"]["User"] == "10001:10001"
    healthcheck = inspected.get("Healthcheck")
    assert isinstance(healthcheck, dict), "HEALTHCHECK was dropped (build with --format docker)"
    assert "/healthz" in " ".join(healthcheck["Test"])

    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    options = ["--read-only", "--network", "host"]
    options += [f"--env=RELAY_HOST={LOOPBACK}", f"--env=RELAY_PORT={port}"]
    options += [f"--env=RELAY_PUBLIC_URL={url}"]
    options += [f"--env=RELAY_ALLOWED_ORIGINS={oidc_provider.issuer}"]
    ready = http_ready(f"{url}/healthz", ok_status=200)
    with Container(podman, "relay", images.relay, options, ready=ready) as relay:
        assert relay.exec("id", "-u").stdout.strip() == "10001"
        assert relay.exec("id", "-g").stdout.strip() == "10001"
        assert relay.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"
        written = relay.exec("python", "-c", "open('/usr/local/probe', 'w')")
        assert written.returncode != 0
        assert "Read-only file system" in written.stderr
        checked = relay.healthcheck()
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # the build context has no .git: the version came in as a build argument
        reported = relay.exec(
            "python", "-c", "import awslogin_relay; print(awslogin_relay.__version__)"
        )
        assert reported.stdout.strip() == VERSION != "0.0.0", reported.stdout + reported.stderr

        configure_profile(
            host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=url
        )
        host = start_login()
        screen = read_sign_in_screen(host)
        assert screen.url.startswith(f"{url}/p/")
        sign_in_on_phone(page, screen, oidc_provider.issuer, login="erin")
        assert host.wait(timeout=60) == 0, host.transcript()
        arn = host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
        assumed = ROLE_ARN.replace(":iam:", ":sts:").replace(":role/", ":assumed-role/")
        assert re.fullmatch(rf"{re.escape(assumed)}/erin", arn)
        assert [claims["sub"] for claims in sts.received] == ["erin"]
        assert "Traceback" not in relay.logs()
    size = podman.image_size(images.relay)
    say(f"\nrelay image {images.relay}: {size / 1e6:.0f} MB")
    assert size < 400e6, f"the relay image grew to {size / 1e6:.0f} MB"
