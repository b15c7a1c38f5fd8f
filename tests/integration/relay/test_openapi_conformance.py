"""`/openapi.json` says what the relay really answers: schemathesis checks every answer.

Schemathesis reads the relay's published document, generates requests for every
operation (valid and invalid, from the schemas) and runs every check it has on each
answer: status code, content type, documented headers, body schema, the Allow header
of a 405, no 5xx, and both directions of the input contract: a request the document
admits is not refused as malformed (400, 422), and one it forbids is refused. It runs
twice against a real `awslogin-relay` process: once with the pairing ids it makes up
(unknown pairings, malformed input), once with every `pairing_id` pointing at a live
pairing (its pages, confirmations, polls without its token). A route whose answers or
whose input rules drift from the document fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from awslogin_relay.settings import MAX_HEAD_LIMIT
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.relay_app import authorize_url

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IDP = "https://idp.test"
# The per-address limits would turn most generated requests into 429 within seconds
# (and the pending pairings of one client: generated console pairings are valid ones);
# lifted, the requests reach the checks they are meant for, as they do with the body
# limit lifted (a pasted code of 8192 characters may take 100 KB once percent-encoded)
# and the head limit at its largest. Long-polls stay short.
SETTINGS = {
    "RELAY_ALLOWED_ORIGINS": IDP,
    "RELAY_POLL_INTERVAL": "0",
    "RELAY_MAX_WAIT": "1",
    "RELAY_RATE_CREATE": "1000000",
    "RELAY_RATE_COLLECT": "1000000",
    "RELAY_RATE_BROWSER": "1000000",
    # console pairings need no allow-listed URL: generated ones are created, and wait
    "RELAY_MAX_PENDING_PER_CLIENT": "1000000",
    "RELAY_MAX_BODY": str(16 * 1024 * 1024),
    "RELAY_MAX_HEADER": str(MAX_HEAD_LIMIT),
    "RELAY_LOG_LEVEL": "warning",
}
# Two answers schemathesis must be told about (docs/protocol.md, "Errors"):
# * 431 refuses a request whose line and headers exceed the head limit, such as a query
#   of several over-long callback values: a refusal, like 400 or 422.
# * 400 on a well-formed creation body: an authorize URL must go to an origin in
#   RELAY_ALLOWED_ORIGINS and be a PKCE request whose state, challenge and redirect_uri
#   the relay checks in its query ("POST /v1/pairings"), the one rule no schema can state.
#   The relay refuses another URL with 400 naming the rule, as the protocol says.
REFUSALS = """
[checks.negative_data_rejection]
expected-statuses = [
  "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "431", "5xx",
]

[[operations]]
include-path = "/v1/pairings"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = [
  "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx",
]
"""
MIN_REQUESTS = 1000


def _schemathesis(relay: RelayServer, workdir: Path, examples: int, config: str = "") -> int:
    """Run schemathesis against the relay; returns how many requests it made and checked."""
    config_file = workdir / "schemathesis.toml"
    config_file.write_text(REFUSALS + config)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config_file),
        "--no-color",
        "run",
        f"{relay.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(examples),
        "--generation-database",
        "none",
        "--workers",
        "1",
        # no stateful phase: a generated creation request never carries an allow-listed
        # authorize URL and a valid key, so chains of requests add nothing here
        "--phases",
        "coverage,fuzzing",
    ]
    completed = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=240, check=False
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report[-8000:]
    counted = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counted is not None, report[-4000:]
    assert counted[1] == counted[2], report[-4000:]
    print(f"schemathesis: {counted[0]}")
    return int(counted[1])


def _live_pairing(relay: RelayServer) -> str:
    response = httpx.post(
        f"{relay.url}/v1/pairings",
        json={
            "authorize_url": authorize_url(
                f"{IDP}/authorize", redirect_uri=f"{relay.url}/callback"
            ),
            "mode": "redirect",
            "public_key": HostKey().public_key,
            "host": {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1"},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    pairing_id: str = response.json()["pairing_id"]
    return pairing_id


def test_every_answer_matches_the_published_document(
    relay_process: RelayFactory, tmp_path: Path
) -> None:
    relay = relay_process(**SETTINGS)
    made_up = tmp_path / "made-up"
    made_up.mkdir()
    requests = _schemathesis(relay, made_up, examples=60)
    live = tmp_path / "live"
    live.mkdir()
    pairing_id = _live_pairing(relay)
    requests += _schemathesis(
        relay, live, examples=20, config=f'[parameters]\n"path.pairing_id" = "{pairing_id}"\n'
    )
    assert requests >= MIN_REQUESTS
