"""Profile keys read from the AWS config file: `awslogin_expected_identity`."""

from __future__ import annotations

import pytest

from awslogin.errors import UsageError
from awslogin.profile import expected_identity

pytestmark = pytest.mark.unit


def test_no_pin_and_a_pin() -> None:
    assert expected_identity("dev", {}) is None
    pin = "arn:aws:sts::123456789012:assumed-role/dev/*"
    assert expected_identity("dev", {"awslogin_expected_identity": pin}) == pin


@pytest.mark.parametrize("pin", ["", "   ", "arn:*\x1b[2J", "arn:*\u202e", "a" * 2049])
def test_a_pin_no_arn_could_match_is_refused_before_any_sign_in(pin: str) -> None:
    with pytest.raises(UsageError, match="must be one ARN pattern"):
        expected_identity("dev", {"awslogin_expected_identity": pin})
