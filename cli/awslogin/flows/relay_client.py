"""HTTP client for relay protocol v1 (docs/protocol.md, "Relay protocol v1").

Every answer of the relay is parsed with the models the relay builds it from
(awslogin_protocol.messages), so a relay that sends a wrong type, a non-finite number, an
overlong field or JSON nested too deep is refused in one place, with one line that names
the relay. Every call has a total deadline and the answer at most 64 KiB
(adapters.http): a relay that drips its answer or sends megabytes holds nothing.

Faults that may pass (no connection, a reset, a cut answer, 429, 502-504) are raised as
`Unavailable`, so that the wait for the result can try again until its own deadline;
everything else is a ProviderError (or an AwsloginError that says what to do).
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from awslogin.adapters.http import AnswerTooLarge, come_back_later, total_timeout, unreachable
from awslogin.errors import AwsloginError, ProviderError, one_line
from awslogin.flows.base import Mode
from awslogin.profile import normalize_relay_url
from awslogin_protocol import VERSION
from awslogin_protocol.messages import (
    Discovery,
    ErrorBody,
    HostDescription,
    OutcomeReport,
    PairingCreated,
    PairingMode,
    PairingRequest,
    PollAnswer,
    well_formed_hostname,
)

Answer = TypeVar("Answer", bound=BaseModel)
# The longest answer read from a relay: a sealed result is a few KiB.
MAX_ANSWER_BYTES = 64 * 1024
# Total deadline of the calls a person waits on before the link shows.
CALL_SECONDS = 15.0
# How long after its `wait` a long-poll's answer may still come (the relay's own slack,
# a proxy on the way).
POLL_GRACE_SECONDS = 5.0
PARTY = "the relay"


class _Version(BaseModel):
    """The discovery document's version alone: read first, since a relay of another
    version may shape the rest differently."""

    version: object = None


class RelayClient:
    def __init__(
        self, base_url: str, client: httpx.Client, create_token: str | None = None
    ) -> None:
        self.base_url = normalize_relay_url(base_url)
        self.client = client
        self.create_token = create_token
        self.display_host = urlsplit(self.base_url).netloc
        self._service = f"the relay at {self.display_host}"

    def _request(self, method: str, path: str, seconds: float, **kwargs: Any) -> httpx.Response:
        """The relay's answer within `seconds`; Unavailable for a fault that may pass."""
        try:
            response = self.client.request(
                method, f"{self.base_url}{path}", extensions=total_timeout(seconds), **kwargs
            )
        except AnswerTooLarge:
            raise ProviderError(
                f"the relay at {self.display_host} sent an answer larger than "
                f"{MAX_ANSWER_BYTES // 1024} KiB"
            ) from None
        except httpx.HTTPError as exc:
            raise unreachable(
                exc, self._service, party=PARTY, advice="; check --relay / AWSLOGIN_RELAY_URL"
            ) from exc
        unavailable = come_back_later(response, self._service, party=PARTY)
        if unavailable is not None:
            raise unavailable
        return response

    def _answer(self, response: httpx.Response, model: type[Answer], what: str) -> Answer:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            detail = f" ({one_line(', '.join(fields), 60)})" if fields else ""
            raise ProviderError(f"the relay at {self.display_host} sent {what}{detail}") from None

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

    def on_relay_origin(self, url: str, what: str) -> str:
        """`url` when it is an http(s) link on the configured relay's origin; else the
        login stops: a relay must not send the person, or the QR code, anywhere else.

        The refusal names only the link's host, never the link: a terminal may make a
        printed URL clickable, and this one is exactly what must not be opened."""
        relay = urlsplit(self.base_url)
        try:
            link = urlsplit(url)
            host = link.hostname or ""
            same = (link.scheme, host, link.port) == (relay.scheme, relay.hostname, relay.port)
        except ValueError:
            host, same = "", False
        if not same or any(c.isspace() or not c.isprintable() for c in url):
            if host != relay.hostname and well_formed_hostname(host):
                where = f"points to {host}, not to the relay"
            else:  # another scheme or port, odd characters, or no host one could name
                where = "is not a plain link on the relay's own site"
            raise ProviderError(
                f"the relay at {self.display_host} sent a {what} that {where}; "
                "check --relay / AWSLOGIN_RELAY_URL"
            )
        return url

    def metadata(self, seconds: float = CALL_SECONDS) -> Discovery:
        response = self._request("GET", "/.well-known/awslogin-relay", seconds)
        if response.status_code != 200:
            raise self._refused("describe itself (is this an awslogin relay?)", response)
        try:
            version = _Version.model_validate_json(response.content).version
        except ValidationError:
            version = None
        if version != VERSION:
            raise ProviderError(
                f"the relay at {self.display_host} speaks protocol version "
                f"{one_line(version, 10)}, not {VERSION}"
            )
        return self._answer(response, Discovery, "incomplete metadata")

    def create_pairing(
        self,
        authorize_url: str,
        mode: Mode,
        public_key: str,
        host: HostDescription,
        seconds: float = CALL_SECONDS,
        *,
        revision: int = 1,
    ) -> PairingCreated:
        """`revision`: the protocol revision to speak (the older of this host's and the
        relay's, docs/protocol.md "Revisions")."""
        # Not validated here: the relay judges its own limits, and its refusal says which.
        request = PairingRequest.model_construct(
            authorize_url=authorize_url,
            mode=PairingMode(mode),
            public_key=public_key,
            host=host,
            revision=revision,
        )
        headers = {"Authorization": f"Bearer {self.create_token}"} if self.create_token else {}
        response = self._request(
            "POST", "/v1/pairings", seconds, json=request.model_dump(mode="json"), headers=headers
        )
        if response.status_code not in (200, 201):
            raise self._refused("start a pairing", response)
        return self._answer(response, PairingCreated, "an incomplete pairing")

    def poll(
        self, pairing: PairingCreated, wait: int, seconds: float, *, until_confirmed: bool = False
    ) -> PollAnswer:
        """One long-poll of up to `wait` seconds, given `seconds` in all to answer;
        `until_confirmed`: it also ends once a browser confirms (revision 2)."""
        params = {"wait": str(wait)}
        if until_confirmed:
            params["until"] = "confirmation"
        response = self._request(
            "GET",
            f"/v1/pairings/{pairing.pairing_id}/result",
            seconds,
            params=params,
            headers=self._bearer(pairing),
        )
        if response.status_code == 410:
            raise AwsloginError(
                "the pairing expired (or was already used) before sign-in finished; run login again"
            )
        if response.status_code == 404:
            raise AwsloginError(
                f"the relay at {self.display_host} no longer knows this sign-in (it restarted "
                "without keeping its pairings?); run login again"
            )
        if response.status_code == 401:
            raise AwsloginError("the relay did not accept this login's poll token; run login again")
        if response.status_code != 200:
            raise self._refused("report the sign-in result", response)
        answer = self._answer(response, PollAnswer, "an unknown result status")
        if answer.status == "complete" and answer.sealed is None:
            raise ProviderError(f"the relay at {self.display_host} sent an unknown result status")
        return answer

    def ack(self, pairing: PairingCreated, seconds: float) -> bool:
        """Tell the relay that the result was opened, so it drops it (docs/protocol.md,
        "Delivery"). Whether the relay took it; Unavailable when it may take it later."""
        response = self._request(
            "POST", f"/v1/pairings/{pairing.pairing_id}/ack", seconds, headers=self._bearer(pairing)
        )
        return response.status_code == 204

    def report(self, pairing: PairingCreated, outcome: OutcomeReport, seconds: float) -> bool:
        """How the login ended, for the phone's page; whether the relay took it."""
        response = self._request(
            "POST",
            f"/v1/pairings/{pairing.pairing_id}/outcome",
            seconds,
            json=outcome.model_dump(mode="json", exclude_none=True),
            headers=self._bearer(pairing),
        )
        return response.status_code == 204

    def cancel(self, pairing: PairingCreated, seconds: float) -> bool:
        """End a pairing whose result will not be collected; whether the relay took it."""
        response = self._request(
            "DELETE", f"/v1/pairings/{pairing.pairing_id}", seconds, headers=self._bearer(pairing)
        )
        return response.status_code in (200, 202, 204)

    @staticmethod
    def _bearer(pairing: PairingCreated) -> dict[str, str]:
        return {"Authorization": f"Bearer {pairing.poll_token}"}
