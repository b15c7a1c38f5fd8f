"""HTTP client for relay protocol v1 (DESIGN.md "Relay protocol v1")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from awslogin.errors import AwsloginError, ProviderError, UsageError, one_line

PROTOCOL_VERSION = 1
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def normalise_relay_url(url: str) -> str:
    """The relay's base URL; plain http only for a relay on this machine."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"relay URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise UsageError(f"relay URL {url} must use https (http only for 127.0.0.1)")
    if parts.query or parts.fragment:
        raise UsageError(f"relay URL {url} must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class RelayMetadata:
    callback_uri: str
    verification_uri: str


@dataclass(frozen=True)
class Pairing:
    pairing_id: str
    user_code: str
    verification_uri_complete: str
    expires_in: float
    interval: float
    poll_token: str = field(repr=False)


@dataclass(frozen=True)
class PollResult:
    status: Literal["pending", "complete", "denied", "slow_down", "gone"]
    sealed: str | None = field(default=None, repr=False)
    error: str | None = None
    error_description: str | None = None


class RelayClient:
    def __init__(
        self, base_url: str, client: httpx.Client, create_token: str | None = None
    ) -> None:
        self.base_url = normalise_relay_url(base_url)
        self.client = client
        self.create_token = create_token
        self.display_host = urlsplit(self.base_url).netloc

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"cannot reach the relay at {self.display_host} ({type(exc).__name__}); "
                "check --relay / AWSLOGIN_RELAY_URL"
            ) from exc

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _refused(self, what: str, response: httpx.Response) -> ProviderError:
        body = self._json(response)
        error = one_line(body.get("error") or f"HTTP {response.status_code}", 60)
        description = one_line(body.get("error_description") or "")
        return ProviderError(
            f"the relay at {self.display_host} refused to {what}: {error}"
            + (f": {description}" if description else "")
        )

    def metadata(self) -> RelayMetadata:
        response = self._request("GET", "/.well-known/awslogin-relay")
        if response.status_code != 200:
            raise self._refused("describe itself (is this an awslogin relay?)", response)
        body = self._json(response)
        if body.get("version") != PROTOCOL_VERSION:
            raise ProviderError(
                f"the relay at {self.display_host} speaks protocol version "
                f"{one_line(body.get('version'), 10)}, not {PROTOCOL_VERSION}"
            )
        callback, verification = body.get("callback_uri"), body.get("verification_uri")
        if not isinstance(callback, str) or not isinstance(verification, str):
            raise ProviderError(f"the relay at {self.display_host} sent incomplete metadata")
        return RelayMetadata(callback_uri=callback, verification_uri=verification)

    def create_pairing(
        self, authorize_url: str, mode: str, public_key: str, host: dict[str, str]
    ) -> Pairing:
        headers = {"Authorization": f"Bearer {self.create_token}"} if self.create_token else {}
        response = self._request(
            "POST",
            "/v1/pairings",
            json={
                "authorize_url": authorize_url,
                "mode": mode,
                "public_key": public_key,
                "host": host,
            },
            headers=headers,
        )
        if response.status_code not in (200, 201):
            raise self._refused("start a pairing", response)
        body = self._json(response)
        try:
            return Pairing(
                pairing_id=str(body["pairing_id"]),
                user_code=str(body["user_code"]),
                verification_uri_complete=str(body["verification_uri_complete"]),
                expires_in=float(body["expires_in"]),
                interval=float(body.get("interval", 1)),
                poll_token=str(body["poll_token"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(
                f"the relay at {self.display_host} sent an incomplete pairing"
            ) from exc

    def poll(self, pairing: Pairing, wait: int) -> PollResult:
        response = self._request(
            "GET",
            f"/v1/pairings/{pairing.pairing_id}/result",
            params={"wait": str(wait)},
            headers={"Authorization": f"Bearer {pairing.poll_token}"},
            timeout=httpx.Timeout(wait + 15.0, connect=10.0),
        )
        if response.status_code == 410:
            return PollResult("gone")
        if response.status_code == 429:
            return PollResult("slow_down")
        if response.status_code == 401:
            raise AwsloginError("the relay did not accept this login's poll token; run login again")
        if response.status_code != 200:
            raise self._refused("report the sign-in result", response)
        body = self._json(response)
        status = body.get("status")
        if status == "pending":
            return PollResult("pending")
        if status == "complete" and isinstance(body.get("sealed"), str):
            return PollResult("complete", sealed=body["sealed"])
        if status == "denied":
            return PollResult(
                "denied",
                error=one_line(body.get("error") or "access_denied", 60),
                error_description=one_line(body.get("error_description") or ""),
            )
        raise ProviderError(f"the relay at {self.display_host} sent an unknown result status")

    def cancel(self, pairing: Pairing) -> bool:
        """Best effort: the pairing expires on its own if this fails."""
        try:
            response = self.client.delete(
                f"{self.base_url}/v1/pairings/{pairing.pairing_id}",
                headers={"Authorization": f"Bearer {pairing.poll_token}"},
                timeout=5.0,
            )
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 202, 204)
