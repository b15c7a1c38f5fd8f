"""Partitions from regions, and the console destinations a sign-in may name."""

from __future__ import annotations

import pytest

from awslogin.errors import UsageError
from awslogin.providers.partitions import AWS, AWS_CN, AWS_US_GOV, console_destination, partition_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", AWS),
        ("eu-west-1", AWS),
        ("ap-southeast-5", AWS),
        ("cn-north-1", AWS_CN),
        ("cn-northwest-1", AWS_CN),
        ("us-gov-west-1", AWS_US_GOV),
    ],
)
def test_the_partition_comes_from_the_region(region: str, partition: object) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize("region", ["us-iso-east-1", "us-isob-east-1", "eusc-de-east-1"])
def test_partitions_without_a_public_console_are_refused(region: str) -> None:
    with pytest.raises(UsageError, match="without a public AWS console"):
        partition_of(region)


def test_the_default_destination_is_the_console_home_in_the_region() -> None:
    assert console_destination(AWS_CN, "cn-north-1", None) == (
        "https://console.amazonaws.cn/console/home?region=cn-north-1"
    )


def test_a_service_name_is_its_console_page() -> None:
    assert console_destination(AWS_US_GOV, "us-gov-west-1", "s3") == (
        "https://console.amazonaws-us-gov.com/s3/home?region=us-gov-west-1"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://console.aws.amazon.com/iam/home#/roles",
        "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1",
        "https://CONSOLE.aws.amazon.com/",
    ],
)
def test_a_url_on_the_partitions_console_is_kept(url: str) -> None:
    assert console_destination(AWS, "us-east-1", url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://console.aws.amazon.com/",  # not https
        "https://console.aws.amazon.com.evil.example/",  # a suffix is not the host
        "https://evilconsole.aws.amazon.com/",  # nor is a longer label
        "https://console.amazonaws.cn/",  # another partition's console
        "https://user@console.aws.amazon.com/",
        "https://console.aws.amazon.com:8443/",
        "https://console.aws.amazon.com:bad/",
        "https://console.aws.amazon.com/\x1b[2J",
        "javascript:alert(1)",
        "S3",
        "",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="service name"):
        console_destination(AWS, "us-east-1", url)
