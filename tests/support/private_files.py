"""What "only the user can read it" means in a unit test, on each platform.

POSIX: mode 0600. Windows reports 0666 for any writable file, whatever its ACL: there a
private file is private through the profile folder's inherited ACL, as the AWS CLI's
files are (docs/security.md, "Private files on Windows"), and the mode says nothing.
"""

from __future__ import annotations

import os
import stat
import sys

# The modes below mean something only where files have POSIX permissions.
POSIX_MODES = sys.platform != "win32"


def assert_owner_only(path: str | os.PathLike[str]) -> None:
    """The file at `path` is readable and writable by its owner alone (POSIX)."""
    if POSIX_MODES:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
