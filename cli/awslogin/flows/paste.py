"""Remote flow without a relay: print the URL and QR code, read back what the page showed.

This is `aws login --remote`: the provider's own page (AWS Sign-In's confirmation page)
shows a verification code after sign-in, and the person types or pastes it here. A whole
redirect URL copied from the browser's address bar is taken as well; the provider
decides what the text means. Reading works from a pipe too, so scripts can feed it.
"""

from __future__ import annotations

from collections.abc import Callable

from awslogin.errors import AwsloginError
from awslogin.flows.base import AuthorizationResponse, Display, RequestBuilder

PROMPT = "Paste the verification code shown after you sign in, then press Enter:"


class PasteFlow:
    name = "paste"

    def __init__(self, display: Display, read_line: Callable[[], str], *, qr: bool = True) -> None:
        self.display = display
        self.read_line = read_line
        self.qr = qr

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        request = build(None)
        self.display.show_link(request.url, qr=self.qr)
        self.display.info(f"\n  {PROMPT}")
        while True:
            line = self.read_line()
            if not line:
                raise AwsloginError("no verification code was entered (end of input)")
            if line.strip():
                return AuthorizationResponse(request, {"pasted": line.strip()})
