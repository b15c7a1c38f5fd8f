"""The AWS shared config file, read and edited line by line.

configparser would drop comments and reorder what the user wrote, so edits here touch
only the lines of the keys being set and leave every other byte of the file alone. The
same reader serves `credential-process` on each SDK start, hence no heavy imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from awslogin.adapters.files import expand_home, write_private_atomically
from awslogin.errors import ConfigError, one_line

_SECTION = re.compile(r"^\[([^\]]*)\]\s*(?:[#;].*)?$")
_KEY_VALUE = re.compile(r"^([^=\s#;][^=]*?)\s*=\s*(.*?)\s*$")


def config_path(environ: Mapping[str, str]) -> str:
    """Where the config lives: AWS_CONFIG_FILE, else ~/.aws/config."""
    return expand_home(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)


def selected_profile(explicit: str | None, environ: Mapping[str, str]) -> str:
    """--profile, else AWS_PROFILE, else `default`, as the AWS CLI chooses."""
    return explicit or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"


def _profile_of_header(header: str) -> str | None:
    parts = header.split(None, 1)
    if len(parts) == 2 and parts[0] == "profile":
        return parts[1].strip()
    if header.strip() == "default":
        return "default"
    return None


class _Section:
    """One `[header]` block: its line span and the values botocore would read."""

    def __init__(self, header: str, start: int) -> None:
        self.header = header.strip()
        self.start = start
        self.end = start + 1
        self.values: dict[str, str] = {}
        self.nested: dict[str, dict[str, str]] = {}
        self.key_lines: dict[str, int] = {}


class AwsConfig:
    """A parsed config file that can be edited and written back atomically."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self._lines = text.splitlines(keepends=True)
        self._sections: list[_Section] = []
        self._parse()

    @classmethod
    def load(cls, path: str) -> AwsConfig:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read AWS config file {path}: {exc}") from exc
        return cls(path, text)

    def _parse(self) -> None:
        self._sections = []
        current: _Section | None = None
        last_key: str | None = None
        for index, raw in enumerate(self._lines):
            line = raw.rstrip("\r\n")
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            section = _SECTION.match(stripped)
            if section and not line[0].isspace():
                current = _Section(section.group(1), index)
                self._sections.append(current)
                last_key = None
                continue
            if current is None:
                raise ConfigError(
                    f"malformed AWS config file {self.path}: "
                    f"line {index + 1} is outside any section"
                )
            pair = _KEY_VALUE.match(stripped)
            if line[0].isspace() and last_key is not None:
                if pair:  # a nested value such as `s3 =\n  max_concurrent_requests = 10`
                    current.nested.setdefault(last_key, {})[pair.group(1)] = pair.group(2)
                current.end = index + 1
                continue
            if not pair:
                raise ConfigError(
                    f"malformed AWS config file {self.path}: line {index + 1} is not `key = value`"
                )
            last_key = pair.group(1)
            current.values[last_key] = pair.group(2)
            current.key_lines[last_key] = index
            current.end = index + 1

    def _find(self, header: str) -> _Section | None:
        found = None
        for section in self._sections:
            if section.header == header:
                found = section
        return found

    def _profile_section(self, profile: str) -> _Section | None:
        found = self._find(f"profile {profile}")
        if found is None and profile == "default":
            found = self._find("default")
        if found is None:
            for section in self._sections:
                if _profile_of_header(section.header) == profile:
                    found = section
        return found

    def profile(self, profile: str) -> dict[str, str] | None:
        """The profile's top-level values, or None when there is no such profile."""
        section = self._profile_section(profile)
        return dict(section.values) if section else None

    def section(self, header: str) -> dict[str, str] | None:
        found = self._find(header)
        return dict(found.values) if found else None

    def nested(self, header: str, key: str) -> dict[str, str]:
        found = self._find(header)
        return dict(found.nested.get(key, {})) if found else {}

    def profile_names(self) -> list[str]:
        names: list[str] = []
        for section in self._sections:
            name = _profile_of_header(section.header)
            if name is not None and name not in names:
                names.append(name)
        return names

    def set_profile(self, profile: str, updates: Mapping[str, str | None]) -> None:
        """Set (or remove, for None) keys of a profile, creating the section if needed."""
        section = self._profile_section(profile)
        if section is not None:
            header = section.header
        else:
            header = "default" if profile == "default" else f"profile {profile}"
        self.set_section(header, updates)

    def set_section(self, header: str, updates: Mapping[str, str | None]) -> None:
        """Set (or remove, for None) keys of `[header]` (a profile, an `sso-session NAME`),
        appending the section if needed; every other line stays as the user wrote it.

        A value that holds a line break (of any kind the AWS CLI or this parser splits
        on) is refused: written, it would add lines, and so keys, of its own.
        """
        for text in (header, *updates, *(value for value in updates.values() if value)):
            if len(text.splitlines()) > 1 or text.endswith(("\n", "\r")):
                raise ConfigError(
                    f"refusing to write a line break into {self.path}: "
                    f"{one_line(text, 80)} (under [{one_line(header, 80)}])"
                )
        if self._find(header) is None:
            if self._lines and not self._lines[-1].endswith("\n"):
                self._lines[-1] += "\n"
            if self._lines and self._lines[-1].strip():
                self._lines.append("\n")
            self._lines.append(f"[{header}]\n")
            self._parse()
        for key, value in updates.items():
            section = self._find(header)
            assert section is not None
            if key in section.key_lines:
                index = section.key_lines[key]
                if value is None:
                    del self._lines[index]
                else:
                    self._lines[index] = f"{key} = {value}\n"
            elif value is not None:
                insert_at = section.end
                if insert_at > 0 and not self._lines[insert_at - 1].endswith("\n"):
                    self._lines[insert_at - 1] += "\n"
                self._lines.insert(insert_at, f"{key} = {value}\n")
            self._parse()

    def render(self) -> str:
        return "".join(self._lines)

    def save(self) -> None:
        """Replace the file atomically; a new file is private (0600), an old one keeps its mode."""
        write_private_atomically(self.path, self.render().encode("utf-8"), keep_mode=True)
