"""AWS service endpoints resolved the way the SDKs do, so tests and private deployments
need no special flag: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
`services` section, the profile's `endpoint_url`, then the public regional endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def service_endpoint(
    service_id: str,
    default: str,
    environ: Mapping[str, str],
    profile_values: Mapping[str, str],
    services_section: Callable[[str], Mapping[str, str]] = lambda _key: {},
) -> str:
    """`service_id` as the SDK spells it in env names (e.g. STS, SSO_OIDC)."""
    env_key = f"AWS_ENDPOINT_URL_{service_id.upper()}"
    if environ.get(env_key):
        return environ[env_key]
    if environ.get("AWS_ENDPOINT_URL"):
        return environ["AWS_ENDPOINT_URL"]
    config_key = service_id.lower()
    nested = services_section(config_key)
    if nested.get("endpoint_url"):
        return nested["endpoint_url"]
    if profile_values.get("endpoint_url"):
        return profile_values["endpoint_url"]
    return default
