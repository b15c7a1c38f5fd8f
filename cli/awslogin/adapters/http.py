"""The one place that makes httpx clients, so timeouts and --debug logging are uniform.

--debug shows method, scheme://host/path and status only: query strings carry codes and
states, and bodies carry tokens, so neither is ever logged.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from awslogin import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"awslogin/{__version__}"
DEFAULT_TIMEOUT = 15.0


def redacted_url(url: httpx.URL) -> str:
    """The URL without query, fragment or user info."""
    return f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path}"


class HttpFactory:
    """Makes clients; `debug` turns on secret-free request logging to stderr."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug

    def client(self, timeout: float = DEFAULT_TIMEOUT) -> httpx.Client:
        import httpx

        hooks: dict[str, list[object]] = {"request": [], "response": []}
        if self.debug:

            def log_response(response: httpx.Response) -> None:
                request = response.request
                print(
                    f"debug: {request.method} {redacted_url(request.url)}"
                    f" -> {response.status_code}",
                    file=sys.stderr,
                )

            hooks["response"].append(log_response)
        return httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            event_hooks=hooks,  # type: ignore[arg-type]
        )
