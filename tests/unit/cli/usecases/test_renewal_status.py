"""The renewal line of `awslogin status`: shown while the renewing process lives."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from awslogin.adapters.files import Presence
from awslogin.usecases.renewal_status import (
    RenewalState,
    clear_state,
    mark_stopped,
    presence_path,
    renewal_line,
    state_path,
    write_state,
)
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"AWSLOGIN_CACHE_DIR": str(tmp_path / "cache")}


def test_a_link_sent_is_shown_until_cleared(environ: dict[str, str]) -> None:
    sent_at = time.time()
    presence = Presence(presence_path("dev", environ))
    assert presence.hold()  # as serve does while it renews
    try:
        write_state("dev", environ, RenewalState(state="waiting", sentAt=sent_at, delivered=2))
        at = time.strftime("%H:%M", time.localtime(sent_at))
        assert renewal_line("dev", environ) == f"link sent {at} to 2 destinations, waiting"
        assert_owner_only(state_path("dev", environ))
        assert not state_path("dev", environ).endswith(".json")  # not a cache file to list
        mark_stopped("dev", environ)
        assert renewal_line("dev", environ) == (
            f"stopped (denied on the phone); the last link went out {at} to 2 destinations"
        )
        clear_state("dev", environ)
        assert renewal_line("dev", environ) is None
    finally:
        presence.release()


def test_the_state_of_a_process_that_ended_is_not_shown(environ: dict[str, str]) -> None:
    # A serve killed while it renewed: its state stays behind, its lock goes with it.
    holder = (
        "import sys; from awslogin.adapters.files import Presence; p = Presence(sys.argv[1]); "
        "assert p.hold(); print('held', flush=True); sys.stdin.read()"
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", holder, presence_path("dev", environ)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert killed.stdout is not None
    assert killed.stdout.readline() == b"held\n"
    write_state("dev", environ, RenewalState(state="waiting", sentAt=time.time(), delivered=1))
    assert renewal_line("dev", environ) is not None
    killed.kill()
    killed.wait()
    assert renewal_line("dev", environ) is None
    assert Path(state_path("dev", environ)).exists()  # left behind, and not believed


@pytest.mark.parametrize("text", ["", "[]", '{"sentAt": "1"}', '{"sentAt": 1, "delivered": "x"}'])
def test_a_file_that_is_not_a_state_shows_nothing(environ: dict[str, str], text: str) -> None:
    path = Path(state_path("dev", environ))
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert renewal_line("dev", environ) is None


def test_renewals_stopped_before_any_link_say_why(environ: dict[str, str]) -> None:
    presence = Presence(presence_path("dev", environ))
    assert presence.hold()  # the serve that stopped its renewals still runs
    try:
        mark_stopped("dev", environ, "no relay, and no device codes")
        assert renewal_line("dev", environ) == (
            "stopped (no relay, and no device codes); no link went out"
        )
    finally:
        presence.release()
