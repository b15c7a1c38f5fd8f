"""The wheel as a user installs it: built from this checkout, installed outside it into a
fresh environment (pipx when there is one, else a new venv), then `awslogin --version`,
`awslogin --help` and a relay that answers /healthz and serves a page with its template
and stylesheet. A package-data file left out of the wheel (templates, static, Lua
scripts) fails here, not at a user's.

The wheel's dependencies come from the package registry, as a user's do; nothing else
leaves the machine. The relay uses its in-memory store (the Lua scripts are checked by
being in the wheel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.peers._process import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PACKAGE_DATA = ("awslogin_relay/templates/", "awslogin_relay/static/", "awslogin_relay/store/lua/")


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{argv}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """(the bin folder of the installed awslogin, the wheel's version, the environment)."""
    work = tmp_path_factory.mktemp("installed-wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)], work, env)
    (wheel,) = dist.glob("awslogin-*.whl")
    version = wheel.name.split("-")[1]
    names = zipfile.ZipFile(wheel).namelist()
    for folder in PACKAGE_DATA:
        assert any(name.startswith(folder) for name in names), f"{folder} is not in the wheel"
    pipx = shutil.which("pipx")
    if pipx:
        env.update(PIPX_HOME=str(work / "pipx"), PIPX_BIN_DIR=str(work / "bin"))
        _run([pipx, "install", f"{wheel}[relay]"], work, env)
        return work / "bin", version, env
    _run([sys.executable, "-m", "venv", str(work / "venv")], work, env)
    bin_dir = work / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", f"{wheel}[relay]"], work, env)
    return bin_dir, version, env


def test_the_installed_cli_says_its_version_and_its_help(
    installed: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, version, env = installed
    assert _run([str(bin_dir / "awslogin"), "--version"], tmp_path, env).split() == [
        "awslogin",
        version,
    ]
    assert "credential-process" in _run([str(bin_dir / "awslogin"), "--help"], tmp_path, env)


def test_the_installed_relay_answers_healthz_and_serves_its_pages(
    installed: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, _, env = installed
    port = free_port()
    relay_env = {
        **env,
        "RELAY_HOST": "127.0.0.1",
        "RELAY_PORT": str(port),
        "RELAY_ALLOWED_ORIGINS": "https://idp.example.test",
    }
    relay = subprocess.Popen(
        [str(bin_dir / "awslogin-relay")],
        cwd=tmp_path,
        env=relay_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert relay.poll() is None, relay.communicate()[1][-3000:]
                assert time.monotonic() < deadline, "the relay did not answer within 30 s"
                time.sleep(0.2)
        assert health.status_code == 200
        link = httpx.get(f"{base}/link", timeout=5)
        assert link.status_code == 200
        assert "<form" in link.text
        assert httpx.get(f"{base}/static/style.css", timeout=5).status_code == 200
    finally:
        relay.terminate()
        relay.wait(timeout=10)
