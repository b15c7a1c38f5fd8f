"""The region a command of `exec` and a client of `serve` get: one value under both names,
unless the environment already gives each name a value of its own."""

from __future__ import annotations

import pytest

from awslogin.usecases.child_region import child_region_variables

pytestmark = pytest.mark.unit


def test_one_name_set_gives_its_value_to_both() -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        assert child_region_variables({name: "eu-central-1"}, "us-east-1") == {
            "AWS_REGION": "eu-central-1",
            "AWS_DEFAULT_REGION": "eu-central-1",
        }


def test_both_set_to_different_values_keep_their_own() -> None:
    environ = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "ca-central-1"}
    assert child_region_variables(environ, "us-east-1") == environ


def test_neither_set_gives_the_profiles_region_to_both() -> None:
    assert child_region_variables({"PATH": "/bin"}, "us-east-1") == {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert child_region_variables({}, None) == {}
    # An empty value is no region, as the SDKs take it.
    assert child_region_variables({"AWS_REGION": ""}, "us-east-1") == {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.mark.parametrize(
    "invalid", ["eu-central-1\nexport X=1", "EU-CENTRAL-1", "eu central 1", "$(id)", "é"]
)
def test_a_value_that_is_no_region_name_is_neither_copied_nor_printed(invalid: str) -> None:
    assert child_region_variables({"AWS_REGION": invalid}, "us-east-1") == {}
    assert child_region_variables({}, invalid) == {}
    # Both set: the valid one is still given, the other is left out.
    assert child_region_variables(
        {"AWS_REGION": invalid, "AWS_DEFAULT_REGION": "ca-central-1"}, "us-east-1"
    ) == {"AWS_DEFAULT_REGION": "ca-central-1"}
