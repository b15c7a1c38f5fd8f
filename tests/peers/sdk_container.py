"""A container with an AWS SDK, for the serve tests: podman as tests/peers/podman.py runs it.

The image is Debian bookworm's minbase with python3-boto3 (Debian's own boto3 1.26 and
botocore 1.29: an older SDK than the host's), made with mmdebstrap from Debian's mirror
and imported as an image: no registry, no Dockerfile. It lives in the same podman storage
as the deploy tests' images (.peers/podman/, outside git), tagged with a hash of what it
is made of, so it is built once and found by every later run.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tests.peers.podman import BUILD_TIMEOUT, SUITE, Container, Podman, PodmanError

PACKAGES = ("python3", "python3-boto3", "ca-certificates")
# vfs copies the image's whole tree for each container, slowly while other tests run.
START_TIMEOUT = 120.0


class SdkContainer:
    """`run()` a command in a fresh container of the SDK image, on the host's network."""

    def __init__(self, podman: Podman) -> None:
        self.podman = podman
        key = hashlib.sha256(f"{SUITE} {','.join(PACKAGES)}".encode()).hexdigest()[:16]
        self.image = f"localhost/awslogin-test-sdk:{key}"

    def ensure_image(self) -> None:
        """Build the image unless it is there (one builder at a time, see Podman.building)."""
        with self.podman.building():
            if self.podman.image_exists(self.image):
                return
            rootfs = self.podman.cache / "sdk-rootfs.tar"  # mmdebstrap goes by the suffix
            built = subprocess.run(
                ["mmdebstrap", "--variant=minbase", "--quiet",
                 f"--include={','.join(PACKAGES)}", SUITE, str(rootfs)],
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
            )  # fmt: skip
            if built.returncode != 0:
                failure = built.stderr[-3000:]
                raise PodmanError(f"mmdebstrap failed ({built.returncode}):\n{failure}")
            try:
                self.podman("import", str(rootfs), self.image, timeout=BUILD_TIMEOUT)
            finally:
                rootfs.unlink()
            self.podman.keep_only(self.image)

    def run(
        self,
        argv: Sequence[str],
        *,
        env_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        options = ["--rm", *_options(env_file, env)]
        return self.podman("run", *options, self.image, *argv, timeout=timeout, check=False)

    def start(
        self,
        argv: Sequence[str],
        *,
        ready: Callable[[], bool],
        env_file: Path | None = None,
        shared: Path | None = None,
    ) -> Container:
        """A container of the image running `argv` in the background, for a client that
        runs as long as the test needs it: `shared` is bound writable at /shared (the root
        stays read-only) for its output and a file that tells it to stop; returned once
        `ready()` is true, stopped by `stop()` or leaving the `with` block."""
        options = list(_options(env_file, None))
        if shared is not None:
            options += ["--volume", f"{shared}:/shared"]
        container = Container(
            self.podman, "sdk", self.image, options, argv, ready=ready, start_timeout=START_TIMEOUT
        )
        return container.start()


def _options(env_file: Path | None, env: Mapping[str, str] | None) -> list[str]:
    """The options of every SDK container: the host's network, a read-only root, and the
    variables of `env_file` and `env`."""
    options = ["--network", "host", "--read-only"]
    if env_file is not None:
        options += ["--env-file", str(env_file)]
    for name, value in (env or {}).items():
        options += ["--env", f"{name}={value}"]
    return options
