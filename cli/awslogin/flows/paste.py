"""Remote flow without a relay: print the URL and QR code, read back what the page showed.

The person signs in on another device and types or pastes here what that device shows
at the end. What it shows depends on where the provider's request redirects:

* the provider's own page (AWS Sign-In's confirmation page, `aws login --remote`) shows
  a verification code;
* a 127.0.0.1 address nothing listens on (oidc and sso, flows/callback.py): the browser
  fails to open it, and its address bar holds the redirect, code included.

The provider decides what the text means. Reading works from a pipe too, so scripts can
feed it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from awslogin.errors import AwsloginError
from awslogin.flows.base import (
    AuthorizationRequest,
    AuthorizationResponse,
    Display,
    RequestBuilder,
    SignInOutcome,
)
from awslogin.flows.callback import CALLBACK_PATH

PROMPT = "Paste the verification code shown after you sign in, then press Enter:"
ADDRESS_PROMPT = (
    "After you sign in, the browser fails to open a page at {origin}: copy the whole "
    "address from its address bar, paste it here, then press Enter:"
)


def is_unheard_loopback(request: AuthorizationRequest) -> bool:
    """Whether the request redirects to a loopback callback (that nothing listens on)."""
    parts = urlsplit(request.redirect_uri)
    return (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", CALLBACK_PATH)


class PasteFlow:
    name = "paste"

    def __init__(self, display: Display, read_line: Callable[[], str], *, qr: bool = True) -> None:
        self.display = display
        self.read_line = read_line
        self.qr = qr

    def finish(self, outcome: SignInOutcome) -> None:
        """Nothing waits: the provider's page said what it knew."""

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        request = build(None)
        self.display.show_link(request.url, qr=self.qr)
        if is_unheard_loopback(request):
            origin = "://".join(urlsplit(request.redirect_uri)[:2])
            prompt, missing = ADDRESS_PROMPT.format(origin=origin), "no address was pasted"
        else:
            prompt, missing = PROMPT, "no verification code was entered"
        self.display.info(f"\n  {prompt}")
        while True:
            line = self.read_line()
            if not line:
                raise AwsloginError(f"{missing} (end of input)")
            if line.strip():
                return AuthorizationResponse(request, {"pasted": line.strip()})
