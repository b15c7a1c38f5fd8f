"""Questions on a real terminal: the real `awslogin configure` on a pseudo-terminal, its
screen as a terminal emulator shows it. A bad answer is said on its own line and asked
again; Ctrl-D at a question gets one line that does not repeat the question."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e.pty_screen import PtyScreen

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

AWSLOGIN = str(Path(sys.executable).parent / "awslogin")


def _env(tmp_path: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSLOGIN_"))}
    return {
        **inherited,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }


def _rows(terminal: PtyScreen) -> list[str]:
    return [row.rstrip() for row in terminal.rows() if row.strip()]


def test_ctrl_d_and_a_bad_answer_on_a_real_terminal(tmp_path: Path) -> None:
    argv = [AWSLOGIN, "configure", "--profile", "dev"]
    with PtyScreen(
        argv, _env(tmp_path), columns=100, lines=24, input_from_terminal=True
    ) as terminal:
        terminal.wait_for(lambda: "OIDC issuer URL" in "".join(terminal.rows()), "a question")
        terminal.type(b"ftp://idp\r")
        terminal.wait_for(lambda: len(_rows(terminal)) >= 3, "the question again")
        terminal.type(b"\x04")  # Ctrl-D, through the terminal's line discipline
        assert terminal.wait() == 2
        assert _rows(terminal) == [
            "OIDC issuer URL (--issuer): ftp://idp",
            "  issuer 'ftp://idp' must be an https URL; try again (2 left)",
            "OIDC issuer URL (--issuer):",
            "awslogin: no answer: the input ended (Ctrl-D)",
        ]
    assert not (tmp_path / "config").exists()
