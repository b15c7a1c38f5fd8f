"""The region that `exec` gives its command and `serve` prints for its clients: under both
names, AWS_REGION and AWS_DEFAULT_REGION.

The SDKs disagree on the name: botocore (boto3, the AWS CLI v1) reads only
AWS_DEFAULT_REGION; the AWS CLI v2 and the other SDKs read AWS_REGION first. Many hosts
(CodeBuild, ECS tasks, CI images) set only AWS_REGION, and `exec` removes AWS_PROFILE, so a
command would otherwise lose the region its SDK would find without `exec` (README, "Credentials
for every program").
"""

from __future__ import annotations

from collections.abc import Mapping

# What a region name is made of: a value outside it is neither copied nor printed.
_REGION_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def child_region_variables(
    environ: Mapping[str, str], profile_region: str | None
) -> dict[str, str]:
    """The region variables to set for a command or client of this environment.

    One name set: its value under both. Both set: each keeps its own, as each SDK would
    read them without awslogin. Neither: the profile's region under both. Empty counts as
    unset (as in `profile.configured_region`); a value that is not a region name is left
    out rather than copied or printed.
    """
    region = environ.get("AWS_REGION") or None
    default_region = environ.get("AWS_DEFAULT_REGION") or None
    if region and default_region:
        chosen = {"AWS_REGION": region, "AWS_DEFAULT_REGION": default_region}
    else:
        value = region or default_region or profile_region
        chosen = {"AWS_REGION": value, "AWS_DEFAULT_REGION": value} if value else {}
    return {name: text for name, text in chosen.items() if set(text) <= _REGION_CHARACTERS}
