"""README's sample of a remote login is what a terminal really shows.

The real `awslogin login --profile dev` runs as over SSH (SSH_CONNECTION set, no
display) on a pseudo-terminal, against the real relay, IdP and STS; the phone is
headless Chromium. Its screen, read by a terminal emulator while it waits and after the
phone signed in, must match README.md's two sample blocks line for line, where only what
differs from run to run is let vary: the relay's address, the pairing id, the user code,
the time left, the session's end, and the QR code (README shows it as "[QR code]").
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e import phone
from tests.e2e.journey import PROFILE, ROLE_ARN, USER
from tests.e2e.pty_screen import PtyScreen
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayServer
from tests.support.host import awslogin_script

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]

README = Path(__file__).resolve().parents[3] / "README.md"
QR_ROW = re.compile(r"^ *[█▀▄ ]+$")
LINK_ROW = re.compile(r"^ {6}https?://\S+/p/\S+$")
# README's stand-ins for what changes from run to run, and what each may be.
_SAMPLE_ROLE = "arn:aws:sts::123456789012:assumed-role/dev/alice"
_VARYING = {
    r"7Hq2kXbM4vNc": r"[A-Za-z0-9_-]+",
    r"BDKM\-TRWX": r"[A-Z]{4}-[A-Z]{4}",
    r"page:\ \ 42": r"page:  [0-9]{2}",
    r"14:02": r"\d\d:\d\d",
    r"203\.0\.113\.9": r"[0-9a-f.:]+",
    r"\(Safari\ on\ iPhone\)": r"\([A-Za-z0-9 .+_-]+\)",
    r"9:41": r"\d+:\d\d",
    r"2026\-06\-01\ 21:40\ UTC": r"\d{4}-\d\d-\d\d \d\d:\d\d \S+",
    r"\(12\ h\)": r"\(\d+ (h|min)\)",
}


def readme_samples() -> tuple[list[str], list[str]]:
    """The waiting screen (without its `$ awslogin ...` line), and the confirmation
    notice and the signed-in lines that follow it."""
    blocks = re.findall(r"^```\n(.*?)^```$", README.read_text(), flags=re.M | re.S)
    waiting = next(b for b in blocks if b.startswith("$ awslogin login --profile dev\n"))
    notice = next(b for b in blocks if b.startswith("  Confirmed at "))
    signed_in = next(b for b in blocks if b.startswith("Signed in as "))
    return waiting.splitlines()[1:], notice.splitlines() + signed_in.splitlines()


def as_pattern(line: str, relay_url: str) -> re.Pattern[str]:
    pattern = re.escape(line)
    pattern = pattern.replace(re.escape("https://relay.example.com"), re.escape(relay_url))
    pattern = pattern.replace(re.escape("relay.example.com"), re.escape(urlsplit(relay_url).netloc))
    for sample, varying in _VARYING.items():
        pattern = pattern.replace(sample, varying)
    return re.compile(pattern)


def assert_matches(sample: list[str], shown: list[str], relay_url: str) -> None:
    shown_text = "\n".join(shown)
    assert len(shown) == len(sample), f"README:\n{chr(10).join(sample)}\nterminal:\n{shown_text}"
    for expected, line in zip(sample, shown, strict=True):
        assert as_pattern(expected, relay_url).fullmatch(line), (
            f"README line {expected!r} is not what the terminal shows: {line!r}\n{shown_text}"
        )


def screen_text(rows: list[str]) -> list[str]:
    """The screen's rows with the QR code, quiet zone included (blank rows on a colour
    terminal), folded into README's "[QR code]" line: everything between the link and
    the next line of words."""
    lines = [row.rstrip() for row in rows]
    link = next(i for i, line in enumerate(lines) if LINK_ROW.match(line))
    after = next(i for i in range(link + 1, len(lines)) if re.search(r"[A-Za-z]", lines[i]))
    assert all(QR_ROW.match(line) or not line for line in lines[link + 1 : after])
    folded = [*lines[: link + 1], "      [QR code]", *lines[after:]]
    while folded and not folded[-1]:
        folded.pop()
    return folded


def test_readme_sample_output_is_what_the_terminal_shows(
    configured: bytes,
    host_env: dict[str, str],
    idp_relay_process: RelayServer,
    oidc_provider: OidcProvider,
    page: Page,
) -> None:
    waiting_sample, signed_in_sample = readme_samples()
    env = {**host_env, "TERM": "xterm-256color", "SSH_CONNECTION": "203.0.113.9 52000 10.0.0.5 22"}
    argv = [awslogin_script(), "login", "--profile", PROFILE]
    with PtyScreen(argv, env, columns=80, lines=40) as terminal:
        terminal.wait_for(
            lambda: "(Ctrl-C to cancel)" in terminal.rows()[terminal.cursor_row()],
            "the waiting line",
        )
        with terminal.still() as screen:
            waiting = screen_text(list(screen.display))
        assert_matches(waiting_sample, waiting, idp_relay_process.url)

        url = next(
            line.strip() for line in waiting if line.startswith(f"      {idp_relay_process.url}/p/")
        )
        shown_code = phone.open_pairing_page(page, url)
        assert f"type {shown_code}" in waiting[-4]
        facts = " ".join(page.locator("dl.host").inner_text().split())
        assert f"AWS role {ROLE_ARN}" in facts  # the host named its role to the page
        number = int(waiting[-2].split()[-1])
        phone.continue_to_provider(page, oidc_provider.issuer, number)
        phone.sign_in_at_provider(page, USER)
        assert terminal.wait(timeout=60) == 0

        final = screen_text(terminal.rows())
    # What was above the waiting line stays; the waiting line itself gives way.
    assert final[: len(waiting) - 1] == waiting[:-1]
    assert_matches(signed_in_sample, final[len(waiting) - 1 :], idp_relay_process.url)
    assert _SAMPLE_ROLE.replace("alice", USER) in final[len(waiting)]
