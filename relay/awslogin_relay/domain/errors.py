"""Refusals of the pairing service, in OAuth error style.

The web layer turns a RelayError into a JSON body for the API, or into a human page for
browser routes; `description` must therefore be safe to show and to log (it never holds
a code, state, token or key).
"""

from __future__ import annotations


class RelayError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        retry_after: float | None = None,
        hostname: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.retry_after = retry_after
        self.hostname = hostname

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> RelayError:
    return RelayError(400, "invalid_request", description)


def unknown_pairing() -> RelayError:
    return RelayError(404, "not_found", "no such pairing")


def invalid_token() -> RelayError:
    return RelayError(401, "invalid_token", "missing or wrong poll token")


def too_many_requests(retry_after: float) -> RelayError:
    return RelayError(
        429, "too_many_requests", "too many requests from this address", retry_after=retry_after
    )
