"""The relay's container image, and the images of its compose neighbours, built and run
with podman as root on this machine: no Docker engine and no registry needed.

* The base image stands in for `python:3.11-slim-bookworm`: mmdebstrap makes a minimal
  Debian bookworm with Python 3.11 and pip from Debian's packages, imported into podman.
* `deploy/Dockerfile` is built on it as it is, with `--build-arg PYTHON_IMAGE=<base>`,
  `--build-arg VERSION=<this checkout's version>` (as release.yml passes the tag's) and
  `--format docker` (the OCI format would drop HEALTHCHECK). The build reaches the
  package index through this machine's CA bundle, lent to it read-only.
* Redis and Caddy are Debian's packages on the same base (tests/peers/containers/),
  since Docker Hub's images cannot be pulled.

podman runs with runc (crun refuses this kind of host's hybrid cgroups), the vfs storage
driver and a containers.conf without default ulimits (setrlimit is refused here). Its
storage lives in .peers/podman/ (ignored by git), and every image is tagged with a hash
of its inputs: a second run finds them and builds nothing, a change to the Dockerfile
or the relay's sources rebuilds the relay image only. Older tags are removed.

Containers run attached, as PeerProcesses: their output goes to a log that a failing
test's report includes, and stopping one removes the container.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from tests.peers._process import PeerError, PeerProcess, log_tail, scratch_dir

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".peers" / "podman"
CONTAINERFILES = Path(__file__).resolve().parent / "containers"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-pip", "python-is-python3", "ca-certificates")
# As python:3.11-slim-bookworm, pip may install into the system Python.
BASE_HOOK = 'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
# What deploy/Dockerfile copies (see .dockerignore).
CONTEXT = ("pyproject.toml", "README.md", "cli", "relay", "protocol")
TOOLS = ("podman", "runc", "mmdebstrap", "newuidmap")
# The version the relay image is built to report: this checkout's, from its git tags.
VERSION = importlib.metadata.version("awslogin")
BUILD_TIMEOUT = 1200
# The pytest-xdist group of every test that runs containers: they share one vfs storage,
# whose lock a podman command holds for long copies, so that two such tests side by
# side slowed each other's container exits past their deadlines. In one group they run
# on one worker, one after another, while the other workers run the rest.
XDIST_GROUP = "podman"
# How long a killed container's attached `podman run --rm` may take to exit (its
# removal copies nothing, but waits for the storage lock).
EXIT_TIMEOUT = 60


def missing() -> str | None:
    """Why images cannot be built and run here, or None when they can."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        return f"{', '.join(absent)} not installed (apt-get install podman runc uidmap mmdebstrap)"
    if os.geteuid() != 0:
        return "podman runs as root in these tests"
    if not Path(CA_BUNDLE).is_file():
        return f"{CA_BUNDLE} is missing (apt-get install ca-certificates)"
    return None


class PodmanError(RuntimeError):
    """A podman command failed; the message has the command and the end of its output."""


def _digest(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:16]


def _context_files() -> list[Path]:
    files = []
    for name in CONTEXT:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            parts = file.relative_to(ROOT).parts
            if not file.is_file() or "__pycache__" in parts:
                continue
            if file.suffix in (".pyc", ".pyo") or any(p.endswith(".egg-info") for p in parts):
                continue
            files.append(file)
    return files


class Podman:
    """podman with this project's storage, runtime and configuration."""

    def __init__(self, cache: Path = CACHE) -> None:
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)
        conf = cache / "containers.conf"
        settings = "[containers]\ndefault_ulimits = []\n"
        if not conf.is_file() or conf.read_text() != settings:
            # Written aside and renamed: another pytest-xdist worker's podman may be
            # reading it right now, and must never see it half written.
            partial = conf.with_name(f"containers.conf.{os.getpid()}")
            partial.write_text(settings)
            partial.replace(conf)
        # Runtime state (locks, pids) on tmpfs, under a short path: socket paths are short.
        runroot = Path("/run") / f"awslogin-podman-{_digest([str(cache).encode()])[:10]}"
        self.argv = ["podman", "--runtime", "runc", "--storage-driver", "vfs"]
        self.argv += ["--root", str(cache / "storage"), "--runroot", str(runroot)]
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        self.log_path = cache / "podman.log"

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        with self.log_path.open("a") as log:
            log.write(f"--- podman {' '.join(args)}\n")
        try:
            done = subprocess.run(
                [*self.argv, *args],
                env=self.env,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PodmanError(f"podman {args[0]} did not finish in {timeout:.0f} s") from exc
        with self.log_path.open("a") as log:
            log.write(done.stdout[-20000:] + done.stderr[-20000:])
        if check and done.returncode != 0:
            raise PodmanError(
                f"podman {' '.join(args[:3])} failed with exit code {done.returncode}:\n"
                f"{(done.stdout + done.stderr)[-3000:]}"
            )
        return done

    def building(self) -> FileLock:
        """The lock every image build in this storage holds, across pytest-xdist workers
        and concurrent runs: one build at a time, and no worker's `image prune` (in
        keep_only) removes the untagged layers of a build still going on."""
        return FileLock(self.cache / "build.lock", timeout=BUILD_TIMEOUT)

    def image_exists(self, ref: str) -> bool:
        return self("image", "exists", ref, check=False).returncode == 0

    def image_size(self, ref: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())

    def image_inspect(self, ref: str) -> dict[str, Any]:
        """`podman image inspect`: Config (User, Env, Cmd), Healthcheck, Size, ..."""
        (image,) = json.loads(self("image", "inspect", ref).stdout)
        inspected: dict[str, Any] = image
        return inspected

    def keep_only(self, ref: str) -> None:
        """Remove the other tags of `ref`'s repository, then unreferenced layers."""
        repository = ref.rsplit(":", 1)[0]
        listed = self("images", "--format", "{{.Repository}}:{{.Tag}}", repository).stdout
        stale = [line for line in listed.split() if line != ref and line.startswith(repository)]
        if stale:
            self("rmi", "--force", *stale, check=False)
        self("image", "prune", "--force", check=False)


@dataclass(frozen=True)
class Images:
    """Local image references, each tagged with the hash of its inputs."""

    python: str
    relay: str
    redis: str
    caddy: str


@dataclass
class BuildReport:
    """What `build_images` did: seconds per image, None when the cache had it."""

    seconds: dict[str, float | None]


def build_images(podman: Podman) -> tuple[Images, BuildReport]:
    """Every image the deploy tests run, built only when its inputs changed.

    pytest-xdist workers each ask for the images: one builds while the others wait for
    the build lock, then find the images built and reuse them.
    """
    report = BuildReport(seconds={})
    with podman.building():
        python = _base_image(podman, report)
        relay = _relay_image(podman, python, report)
        redis = _service_image(podman, python, "redis", report)
        caddy = _service_image(podman, python, "caddy", report)
    return Images(python=python, relay=relay, redis=redis, caddy=caddy), report


def _timed(
    report: BuildReport, name: str, ref: str, podman: Podman, build: Callable[[], None]
) -> str:
    if podman.image_exists(ref):
        report.seconds[name] = None
        return ref
    started = time.monotonic()
    build()
    podman.keep_only(ref)
    report.seconds[name] = time.monotonic() - started
    return ref


def _base_image(podman: Podman, report: BuildReport) -> str:
    key = _digest([SUITE.encode(), ",".join(BASE_PACKAGES).encode(), BASE_HOOK.encode()])
    ref = f"localhost/awslogin-test-python:{key}"

    def build() -> None:
        rootfs = podman.cache / f"rootfs-{key}.tar"
        partial = rootfs.with_suffix(".partial.tar")
        command = ["mmdebstrap", "--variant=minbase", "--quiet"]
        command += [f"--include={','.join(BASE_PACKAGES)}", f"--customize-hook={BASE_HOOK}"]
        command += [SUITE, str(partial)]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
        )
        if done.returncode != 0:
            raise PodmanError(f"mmdebstrap failed ({done.returncode}):\n{done.stderr[-3000:]}")
        partial.replace(rootfs)
        try:
            podman("import", str(rootfs), ref, timeout=BUILD_TIMEOUT)
        finally:
            rootfs.unlink()

    return _timed(report, "python (mmdebstrap)", ref, podman, build)


# The runtime stage of deploy/Dockerfile installs the builder's wheels through a bind
# mount, which is not part of a layer's cache key: a cached layer would keep old code.
# The tag's hash already says when to build, so every build is a whole one.
RELAY_BUILD_OPTIONS = ("--format", "docker", "--no-cache")


def _relay_image(podman: Podman, base: str, report: BuildReport) -> str:
    files = _context_files()
    parts = [base.encode(), DOCKERFILE.read_bytes(), VERSION.encode()]
    parts += [" ".join(RELAY_BUILD_OPTIONS).encode()]
    for file in files:
        parts += [str(file.relative_to(ROOT)).encode(), file.read_bytes()]
    ref = f"localhost/awslogin-relay:{_digest(parts)}"

    def build() -> None:
        podman(
            "build",
            *RELAY_BUILD_OPTIONS,
            "--volume",
            f"{CA_BUNDLE}:{CA_BUNDLE}:ro",
            "--build-arg",
            f"PYTHON_IMAGE={base}",
            "--build-arg",
            f"VERSION={VERSION}",
            "--tag",
            ref,
            "--file",
            str(DOCKERFILE),
            str(ROOT),
            timeout=BUILD_TIMEOUT,
        )

    return _timed(report, "relay (deploy/Dockerfile)", ref, podman, build)


def _service_image(podman: Podman, base: str, name: str, report: BuildReport) -> str:
    containerfile = CONTAINERFILES / f"{name}.Containerfile"
    ref = f"localhost/awslogin-test-{name}:{_digest([base.encode(), containerfile.read_bytes()])}"

    def build() -> None:
        podman(
            "build",
            "--format",
            "docker",
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--tag",
            ref,
            "--file",
            str(containerfile),
            str(CONTAINERFILES),
            timeout=BUILD_TIMEOUT,
        )

    return _timed(report, name, ref, podman, build)


class Container:
    """`podman run --rm` attached, as a PeerProcess: ready when `ready()` says so."""

    def __init__(
        self,
        podman: Podman,
        name: str,
        image: str,
        options: Sequence[str] = (),
        command: Sequence[str] = (),
        *,
        ready: Callable[[], bool],
        start_timeout: float = 60.0,
    ) -> None:
        self.podman = podman
        self.name = f"awslogin-test-{name}-{os.getpid()}-{time.monotonic_ns() % 100000}"
        self._process = PeerProcess(
            f"container-{name}",
            [*podman.argv, "run", "--rm", "--name", self.name, *options, image, *command],
            env=podman.env,
            ready=ready,
            log_dir=scratch_dir(f"peer-container-{name}-"),
            start_timeout=start_timeout,
        )

    @property
    def log_path(self) -> Path:
        return self._process.log_path

    @property
    def running(self) -> bool:
        return self._process.running

    def start(self) -> Container:
        try:
            self._process.start()
        except PeerError:
            self.remove()
            raise
        return self

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return self.podman("exec", self.name, *command, check=False)

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        return self.podman("healthcheck", "run", self.name, check=False)

    def inspect(self, template: str) -> str:
        return self.podman("container", "inspect", "--format", template, self.name).stdout.strip()

    def kill(self) -> None:
        """SIGKILL, as a crash: no graceful shutdown."""
        self.podman("kill", "--signal", "KILL", self.name)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while self._process.running and time.monotonic() < deadline:
            time.sleep(0.1)

    def remove(self) -> None:
        with contextlib.suppress(PodmanError):
            self.podman("rm", "--force", "--time", "0", self.name, check=False)

    def stop(self) -> None:
        self.remove()
        self._process.stop()

    def logs(self) -> str:
        return log_tail(self.log_path)

    def __enter__(self) -> Container:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
