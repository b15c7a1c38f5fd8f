"""The renewal line of `awslogin status`: shown while the renewing process lives."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from awslogin.usecases.renewal_status import (
    RenewalState,
    clear_state,
    mark_stopped,
    renewal_line,
    state_path,
    write_state,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"AWSLOGIN_CACHE_DIR": str(tmp_path / "cache")}


def test_a_link_sent_is_shown_until_cleared(environ: dict[str, str]) -> None:
    sent_at = time.time()
    write_state(
        "dev", environ, RenewalState(pid=os.getpid(), state="waiting", sentAt=sent_at, delivered=2)
    )
    at = time.strftime("%H:%M", time.localtime(sent_at))
    assert renewal_line("dev", environ) == f"link sent {at} to 2 destinations, waiting"
    assert stat.S_IMODE(os.stat(state_path("dev", environ)).st_mode) == 0o600
    assert not state_path("dev", environ).endswith(".json")  # not a cache file to list
    mark_stopped("dev", environ)
    assert renewal_line("dev", environ) == (
        f"stopped (denied on the phone); the last link went out {at} to 2 destinations"
    )
    clear_state("dev", environ)
    assert renewal_line("dev", environ) is None


def test_the_state_of_a_process_that_ended_is_not_shown(environ: dict[str, str]) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    write_state(
        "dev", environ, RenewalState(pid=gone.pid, state="waiting", sentAt=time.time(), delivered=1)
    )
    assert renewal_line("dev", environ) is None


@pytest.mark.parametrize("text", ["", "[]", '{"pid": "1"}', '{"pid": 1, "sentAt": "x"}'])
def test_a_file_that_is_not_a_state_shows_nothing(environ: dict[str, str], text: str) -> None:
    path = Path(state_path("dev", environ))
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert renewal_line("dev", environ) is None


def test_renewals_stopped_before_any_link_say_why(environ: dict[str, str]) -> None:
    mark_stopped("dev", environ, "no relay, and no device codes")
    assert renewal_line("dev", environ) == (
        "stopped (no relay, and no device codes); no link went out"
    )
