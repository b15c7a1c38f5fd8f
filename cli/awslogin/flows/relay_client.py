"""HTTP client for relay protocol v1 (docs/protocol.md, "Relay protocol v1").

Every answer of the relay is parsed with the models the relay builds it from
(awslogin_protocol.messages), so a relay that sends a wrong type, a non-finite number or
an overlong field is refused in one place, with one line that names the relay.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from awslogin.errors import AwsloginError, ProviderError, one_line
from awslogin.flows.base import Mode
from awslogin.profile import normalize_relay_url
from awslogin_protocol import VERSION
from awslogin_protocol.messages import (
    Discovery,
    ErrorBody,
    HostDescription,
    PairingCreated,
    PairingMode,
    PairingRequest,
    PollAnswer,
)

Answer = TypeVar("Answer", bound=BaseModel)
# A poll's outcome: the relay's answer, or what its status code alone says (429: poll
# more slowly; 410: the pairing expired or was used).
PollOutcome = PollAnswer | Literal["slow_down", "gone"]


class RelayClient:
    def __init__(
        self, base_url: str, client: httpx.Client, create_token: str | None = None
    ) -> None:
        self.base_url = normalize_relay_url(base_url)
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

    def _answer(self, response: httpx.Response, model: type[Answer], what: str) -> Answer:
        try:
            return model.model_validate_json(response.content)
        except ValidationError:
            raise ProviderError(f"the relay at {self.display_host} sent {what}") from None

    def _refused(self, what: str, response: httpx.Response) -> ProviderError:
        try:
            body = ErrorBody.model_validate_json(response.content)
            error, description = body.error, body.error_description
        except ValidationError:
            error, description = f"HTTP {response.status_code}", ""
        description = one_line(description)
        return ProviderError(
            f"the relay at {self.display_host} refused to {what}: {one_line(error, 60)}"
            + (f": {description}" if description else "")
        )

    def metadata(self) -> Discovery:
        response = self._request("GET", "/.well-known/awslogin-relay")
        if response.status_code != 200:
            raise self._refused("describe itself (is this an awslogin relay?)", response)
        # The version first: a relay of another version may shape the rest differently.
        try:
            version = response.json().get("version")
        except (ValueError, AttributeError):
            version = None
        if version != VERSION:
            raise ProviderError(
                f"the relay at {self.display_host} speaks protocol version "
                f"{one_line(version, 10)}, not {VERSION}"
            )
        return self._answer(response, Discovery, "incomplete metadata")

    def create_pairing(
        self, authorize_url: str, mode: Mode, public_key: str, host: HostDescription
    ) -> PairingCreated:
        # Not validated here: the relay judges its own limits, and its refusal says which.
        request = PairingRequest.model_construct(
            authorize_url=authorize_url, mode=PairingMode(mode), public_key=public_key, host=host
        )
        headers = {"Authorization": f"Bearer {self.create_token}"} if self.create_token else {}
        response = self._request(
            "POST", "/v1/pairings", json=request.model_dump(mode="json"), headers=headers
        )
        if response.status_code not in (200, 201):
            raise self._refused("start a pairing", response)
        return self._answer(response, PairingCreated, "an incomplete pairing")

    def poll(self, pairing: PairingCreated, wait: int) -> PollOutcome:
        response = self._request(
            "GET",
            f"/v1/pairings/{pairing.pairing_id}/result",
            params={"wait": str(wait)},
            headers={"Authorization": f"Bearer {pairing.poll_token}"},
            timeout=httpx.Timeout(wait + 15.0, connect=10.0),
        )
        if response.status_code == 410:
            return "gone"
        if response.status_code == 429:
            return "slow_down"
        if response.status_code == 401:
            raise AwsloginError("the relay did not accept this login's poll token; run login again")
        if response.status_code != 200:
            raise self._refused("report the sign-in result", response)
        answer = self._answer(response, PollAnswer, "an unknown result status")
        if answer.status == "complete" and answer.sealed is None:
            raise ProviderError(f"the relay at {self.display_host} sent an unknown result status")
        return answer

    def cancel(self, pairing: PairingCreated) -> bool:
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
