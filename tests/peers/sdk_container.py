"""A container with an AWS SDK, run by podman: the serve tests' container peer.

The image is Debian bookworm's minbase with python3-boto3 (Debian's own boto3 1.26 and
botocore 1.29: an older SDK than the host's), made with mmdebstrap from Debian's mirror
and imported as an image: no registry, no Dockerfile. It is built once and kept under
.peers/sdk-container/ (outside git), podman's storage with it, so that these tests
touch no other podman state on the machine. podman runs with runc and the vfs driver,
without ulimits (this host refuses setrlimit), as the checked recipe says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parents[2] / ".peers" / "sdk-container"
IMAGE = "localhost/awslogin-test-sdk:bookworm"
PACKAGES = "python3,python3-boto3,ca-certificates"
BUILD_TIMEOUT = 900


def available() -> bool:
    """podman (with runc) and mmdebstrap are installed, and we are root."""
    tools = ("podman", "runc", "mmdebstrap")
    return all(shutil.which(tool) for tool in tools) and os.geteuid() == 0


class SdkContainer:
    """`run()` a command in a fresh container of the SDK image, on the host's network."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.conf = root / "containers.conf"

    def podman(self, *args: str) -> list[str]:
        return [
            "podman", "--root", str(self.root / "storage"), "--runroot", str(self.root / "run"),
            "--runtime", "runc", "--storage-driver", "vfs", *args,
        ]  # fmt: skip

    def _run_podman(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}
        return subprocess.run(
            self.podman(*args), env=env, capture_output=True, text=True, timeout=timeout
        )

    def ensure_image(self) -> None:
        """Build the image unless it is there (one builder at a time)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.conf.write_text("[containers]\ndefault_ulimits = []\n")
        with FileLock(str(self.root / "build.lock"), timeout=BUILD_TIMEOUT):
            if self._run_podman("image", "exists", IMAGE, timeout=60).returncode == 0:
                return
            rootfs = self.root / "rootfs.tar"
            if not rootfs.exists():
                partial = self.root / "rootfs-partial.tar"  # mmdebstrap goes by the suffix
                built = subprocess.run(
                    ["mmdebstrap", "--variant=minbase", f"--include={PACKAGES}",
                     "bookworm", str(partial)],
                    capture_output=True,
                    text=True,
                    timeout=BUILD_TIMEOUT,
                )  # fmt: skip
                if built.returncode != 0:
                    raise RuntimeError(f"mmdebstrap failed: {built.stderr[-2000:]}")
                partial.rename(rootfs)
            imported = self._run_podman("import", str(rootfs), IMAGE, timeout=BUILD_TIMEOUT)
            if imported.returncode != 0:
                raise RuntimeError(f"podman import failed: {imported.stderr[-2000:]}")

    def run(
        self,
        argv: Sequence[str],
        *,
        env_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        options = ["--rm", "--network", "host", "--read-only"]
        if env_file is not None:
            options += ["--env-file", str(env_file)]
        for name, value in (env or {}).items():
            options += ["--env", f"{name}={value}"]
        return self._run_podman("run", *options, IMAGE, *argv, timeout=timeout)
