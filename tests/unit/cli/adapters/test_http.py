"""HTTP answers that are well-formed but no sane JSON (a non-finite number) are no answer."""

from __future__ import annotations

import httpx
import pytest

from awslogin.adapters.http import json_answer

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_with_a_non_finite_number_is_no_answer(constant: str) -> None:
    with pytest.raises(ValueError, match="no number"):
        json_answer(httpx.Response(200, content=f'{{"expires_in": {constant}}}'.encode()))
