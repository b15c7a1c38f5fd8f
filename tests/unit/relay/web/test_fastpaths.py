"""`web/fastpaths.py` says which requests skip FastAPI's router, and says it truly.

The module's docstring is where a reader learns what is dispatched ahead of FastAPI and
why; it names each fast path and how many there are, so this test holds both to the
tables the app composes (`app.create_app`: the host API's and the browser's).
"""

from __future__ import annotations

import pytest

from awslogin_relay.web import browser, fastpaths, host_api

pytestmark = pytest.mark.unit

NUMBERS = {4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def test_the_docstring_names_every_fast_path_and_counts_them() -> None:
    registered = [*host_api.fast_paths.paths, *browser.fast_paths.paths]
    described = " ".join((fastpaths.__doc__ or "").split())
    for fast in registered:
        assert f"`{fast.method} {fast.path}`" in described
    assert f"the pairing lifecycle's {NUMBERS[len(registered)]} requests" in described
