"""AWS partitions as the console sees them: where a region's federation endpoint and
console live, and which destinations a console sign-in may name.

The partition comes from the region, as the SDKs derive it (their `partitions.json`:
`cn-*` is aws-cn, `us-gov-*` aws-us-gov, the rest aws); the isolated partitions have no
public console and are refused (docs/security.md, "The console").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from awslogin.errors import UsageError

# A console service path as the console spells it (s3, ec2, cloudwatch, iam...).
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ISOLATED = ("us-iso", "eu-isoe", "eusc-")


@dataclass(frozen=True)
class Partition:
    name: str
    signin_origin: str  # the federation endpoint is signin_origin + "/federation"
    console_host: str


AWS = Partition("aws", "https://signin.aws.amazon.com", "console.aws.amazon.com")
AWS_CN = Partition("aws-cn", "https://signin.amazonaws.cn", "console.amazonaws.cn")
AWS_US_GOV = Partition(
    "aws-us-gov", "https://signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"
)


def partition_of(region: str) -> Partition:
    """The partition of `region` (a checked region name)."""
    if region.startswith("cn-"):
        return AWS_CN
    if region.startswith("us-gov-"):
        return AWS_US_GOV
    if region.startswith(_ISOLATED):
        raise UsageError(f"region {region} is in a partition without a public AWS console")
    return AWS


def console_destination(partition: Partition, region: str, destination: str | None) -> str:
    """The console URL a sign-in lands on: the console home, a service's page (`s3`), or
    a whole URL on the partition's console (a region's subdomain included); anything else
    is refused, so that a sign-in URL never sends the person elsewhere."""
    region_query = f"?region={quote(region)}"
    if destination is None:
        return f"https://{partition.console_host}/console/home{region_query}"
    if _SERVICE.match(destination):
        return f"https://{partition.console_host}/{destination}/home{region_query}"
    refusal = UsageError(
        f"--destination must be a service name (like s3) or an https URL on "
        f"{partition.console_host}"
    )
    try:
        parts = urlsplit(destination)
        port = parts.port
    except ValueError:
        raise refusal from None
    host = (parts.hostname or "").lower()
    on_console = host == partition.console_host or host.endswith("." + partition.console_host)
    well_formed = destination.isprintable() and " " not in destination
    if parts.scheme != "https" or not on_console or port or parts.username is not None:
        raise refusal
    if not well_formed:
        raise refusal
    return destination
