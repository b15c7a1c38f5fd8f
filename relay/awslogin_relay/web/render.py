"""How answers are rendered: JSON bodies from the models that document them, and HTML
pages with Jinja2 autoescaping, so host-supplied text can never become markup."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel
from starlette.responses import Response

from awslogin_relay.domain.errors import RelayError

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    auto_reload=False,
)


def _breakable(text: str) -> Markup:
    """`text`, escaped, with a line-break opportunity after each ':' and '/': on a phone
    an ARN then wraps between its parts rather than inside a name."""
    return Markup("<wbr>").join(re.split(r"(?<=[:/])", text))


_env.filters["breakable"] = _breakable

_MESSAGES: dict[str, tuple[str, str, bool]] = {
    "not_found": (
        "This link is not valid",
        "No sign-in request matches it. Check that you scanned the code from your terminal, "
        "or enter the code your terminal shows.",
        True,
    ),
    "expired_token": ("This sign-in request has expired", "It was open for a few minutes.", True),
    "already_collected": (
        "This sign-in request was already used",
        "Each link works once.",
        True,
    ),
    "already_used": ("This sign-in request was already used", "Each link works once.", True),
    "cancelled": ("This sign-in request was cancelled", "Its terminal stopped waiting.", True),
    "unconfirmed_browser": (
        "This sign-in did not start here",
        "It did not start from the relay's confirmation page for this terminal in this "
        "browser, so nothing was sent to the terminal. If you are signing in your own "
        "terminal, open the link or code it shows in this browser and press \u201cThis is "
        "my terminal\u201d first. If someone sent you this link, stop here: they may be "
        "trying to get you to sign in for them.",
        False,
    ),
    "cross_site_confirmation": (
        "Confirm on the relay's own page",
        "The \u201cThis is my terminal\u201d button works only on the page that shows your "
        "terminal's code. Open the link or code your terminal shows and press it there. If "
        "a page you did not expect sent you here, someone may be trying to get you to sign "
        "in for them.",
        False,
    ),
    "confirmed_elsewhere": (
        "This sign-in was already confirmed on another device",
        "Only the browser that pressed \u201cThis is my terminal\u201d can finish it. If "
        "that was you, continue there. If it was not, someone else may be trying to get "
        "you to sign in for them: close this page.",
        False,
    ),
    "cross_site_cancellation": (
        "Cancel on the relay's own page",
        "The \u201cnot me\u201d button works only on the relay's page for this sign-in, in "
        "the browser that confirmed it. Nothing was cancelled.",
        False,
    ),
    "denied_on_page": (
        "This sign-in request was cancelled",
        "It was cancelled on its page: nothing was signed in.",
        False,
    ),
    "too_many_requests": ("Too many attempts", "Wait a minute, then try again.", False),
    "request_too_large": ("That is too large", "Sign-in codes are much shorter.", False),
    "temporarily_unavailable": ("The relay is busy", "Try again in a minute.", False),
}


def json_answer(
    body: BaseModel, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    """`body` as compact JSON. Fields that are None are left out: the protocol's optional
    fields are absent rather than null (a pending poll is just {"status":"pending"})."""
    return Response(
        body.model_dump_json(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status)


def error_page(error: RelayError) -> HTMLResponse:
    heading, sentence, retry = _MESSAGES.get(
        error.error, ("This request could not be handled", error.description, False)
    )
    if error.error in ("invalid_request", "wrong_mode"):
        sentence = as_sentence(error.description)
    response = page("message.html", error.status, heading=heading, sentence=sentence, retry=retry)
    if error.retry_after is not None:
        response.headers["retry-after"] = str(int(error.retry_after))
    return response


def as_sentence(description: str) -> str:
    """Service descriptions are lower-case fragments; pages show them as sentences."""
    return description[:1].upper() + description[1:] + "."


def describe_time_left(seconds: float) -> str:
    """How long a pairing still waits, as the confirmation page says it (rounded down: the
    page never promises more time than there is)."""
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{seconds // 60} minutes"


def describe_age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 5:
        return "just now"
    if seconds < 90:
        return f"{seconds} seconds ago"
    minutes = round(seconds / 60)
    return f"{minutes} minutes ago"
