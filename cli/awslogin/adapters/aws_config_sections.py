"""Editing sections that are not profiles (`[sso-session NAME]`) in the AWS config file.

Same rule as `AwsConfig.set_profile`: only the lines of the keys being set change, every
other byte (comments, other sections, nested values) stays as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.aws_config import AwsConfig


class SectionEditor(AwsConfig):
    """An AwsConfig that can also set keys of any named section."""

    @classmethod
    def of(cls, config: AwsConfig) -> SectionEditor:
        return cls(config.path, config.render())

    def set_section(self, header: str, updates: Mapping[str, str | None]) -> None:
        """Set (or remove, for None) keys of `[header]`, appending the section if needed."""
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
