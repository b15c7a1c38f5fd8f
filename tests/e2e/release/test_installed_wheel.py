"""The wheel as a user installs it: built from this checkout, installed outside it with
pipx (README: `pipx install awslogin`), then `awslogin --version`,
`awslogin --help` and a relay that answers /healthz and serves a page with its template
and stylesheet. A package-data file left out of the wheel (templates, static, Lua
scripts) fails here, not at a user's.

pipx is part of the pinned test environment (requirements/test.lock), so it is always
here: there is no fallback to a plain venv. Everything pipx keeps (PIPX_HOME, its bin and
man folders) is under the test's temporary folder, never the user's. The wheel's
dependencies come from the package registry, as a user's do; nothing else leaves the
machine. The relay uses its in-memory store (the Lua scripts are checked by
being in the wheel).

The wheel is built from a copy of the files deploy/Dockerfile takes, with the checkout's
version given as release.yml gives the tag's: a build in the checkout itself would
rewrite `awslogin_protocol/_version.py` under the other tests, which import it.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from awslogin_protocol import REVISION
from awslogin_protocol import VERSION as PROTOCOL_VERSION
from tests.peers._process import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PACKAGE_DATA = ("awslogin_relay/templates/", "awslogin_relay/static/", "awslogin_relay/store/lua/")
SOURCES = ("pyproject.toml", "README.md", "cli", "relay", "protocol")  # as .dockerignore
NOT_SOURCES = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.egg-info", "_version.py")


def _copy_sources(to: Path) -> Path:
    to.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, to / name, ignore=NOT_SOURCES)
        else:
            shutil.copy2(source, to / name)
    return to


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
    source = _copy_sources(work / "src")
    checkout_version = importlib.metadata.version("awslogin")
    build_env = {**env, "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_AWSLOGIN": checkout_version}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(source)],
        work,
        build_env,
    )
    (wheel,) = dist.glob("awslogin-*.whl")
    version = wheel.name.split("-")[1]
    names = zipfile.ZipFile(wheel).namelist()
    for folder in PACKAGE_DATA:
        assert any(name.startswith(folder) for name in names), f"{folder} is not in the wheel"
    env.update(
        PIPX_HOME=str(work / "pipx"),
        PIPX_BIN_DIR=str(work / "bin"),
        PIPX_MAN_DIR=str(work / "man"),
    )
    pipx = [sys.executable, "-m", "pipx"]
    _run([*pipx, "install", f"{wheel}[relay]"], work, env)
    assert f"awslogin {version}" in _run([*pipx, "list", "--short"], work, env)
    return work / "bin", version, env


def test_the_installed_cli_says_its_version_and_its_help(
    installed: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, version, env = installed
    assert _run([str(bin_dir / "awslogin"), "--version"], tmp_path, env).strip() == (
        f"awslogin {version} (relay protocol v{PROTOCOL_VERSION}, revision {REVISION})"
    )
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
