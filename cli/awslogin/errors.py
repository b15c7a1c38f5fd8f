"""Failures that the command line turns into one line on stderr and an exit code.

Every layer raises these (or lets the CLI map a KeyboardInterrupt), so no traceback ever
reaches the user. Kept import-free: `credential-process` loads it on every cache hit.

The CLI's error tree (exit code in brackets; classes defined elsewhere name their module):

* AwsloginError [1] - a failure the user can act on; the message says what to do
  x UsageError [2] - the command line itself is wrong (a bad option or value)
    + CannotNotify (usecases/link_notice.py) - --notify with a flow that cannot send
  x ConfigError - the AWS config file is malformed, or a profile missing or incomplete
  x LoginRequired - no usable session; the message says `awslogin login --profile P`
  x ProviderError - the identity provider, STS, the access portal or the relay refused
    + Unavailable - nothing answered in time, or "come back later": a retry may work
    + TokenRefused (providers/oidc_tokens.py) - an OAuth `error` from a token endpoint
    + SignInDenied (flows/callback.py) - the person said no (a renewal stops asking)
    + SsoOidcError (providers/sso_api.py) - IAM Identity Center's OIDC service refused
    + PortalError (providers/sso_api.py) - the AWS access portal refused
  x IdentityRefused (usecases/identity_check.py) - a sign-in the profile may not save
  x CannotRun [127, 126] (adapters/child_process.py) - `exec` could not start its command
* KeyboardInterrupt [130] - Ctrl-C
  x Interrupted [128 + signal] - SIGTERM [143] or SIGHUP [129] during a login

Anything else is a bug: it prints `UNEXPECTED` [1], its traceback only with --debug
(cli/main.py). Three exceptions never leave the layer that catches them, and so are not
in the tree: DevicePending (flows/device.py: a poll that is not done yet), DpopKeyError
(crypto/dpop.py: becomes LoginRequired) and AnswerTooLarge (adapters/http.py: an httpx
error, reported as a ProviderError like every failed request).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2, as shells report it
# SIGTERM and SIGHUP end a login like Ctrl-C, with 128 + their number (`Interrupted`).
SIGNAL_EXIT_BASE = 128

# Characters that would act on the terminal, or make the text read other than it is,
# shown escaped: controls (C0, DEL, C1) start escape sequences that can move the
# cursor, clear the screen or retitle the window; bidi controls reorder what follows;
# invisible format characters and Unicode tags hide text; lone surrogates cannot even
# be written to a UTF-8 stream. Whitespace is collapsed to single spaces before.
_ESCAPED_RANGES = (
    (0x00, 0x20),
    (0x7F, 0xA0),
    (0x00AD, 0x00AE),  # soft hyphen
    (0x061C, 0x061D),  # Arabic letter mark
    (0x180E, 0x180F),  # Mongolian vowel separator
    (0x200B, 0x2010),  # zero-width space, joiners, LRM, RLM
    (0x202A, 0x202F),  # bidi embeddings and overrides
    (0x2060, 0x2065),  # word joiner, invisible operators
    (0x2066, 0x206A),  # bidi isolates
    (0xD800, 0xE000),  # surrogates
    (0xFEFF, 0xFF00),  # zero-width no-break space (BOM)
    (0xFFF9, 0xFFFC),  # interlinear annotations
    (0xE0000, 0xE0080),  # tags
)
_escapes: dict[int, str] = {}
# Raw characters looked at, per character of the limit: enough for text that has runs of
# whitespace to collapse, without walking megabytes a hostile peer may send.
_READ_PER_SHOWN = 4
ELLIPSIS = "\u2026"


def _escape_table() -> dict[int, str]:
    """Built on first use, so that importing this module stays free."""
    if not _escapes:
        for start, end in _ESCAPED_RANGES:
            for code in range(start, end):
                if code < 0x100:
                    _escapes[code] = f"\\x{code:02x}"
                elif code < 0x10000:
                    _escapes[code] = f"\\u{code:04x}"
                else:
                    _escapes[code] = f"\\U{code:08x}"
    return _escapes


def one_line(value: object, limit: int = 200) -> str:
    """`value` as one line of at most `limit` characters, safe to print to a terminal.

    The one filter for text that came from elsewhere (a relay, an identity provider,
    AWS, a file): whitespace runs become one space, characters that could act on the
    terminal or hide text are shown escaped (`\\x1b`, `\\u202e`), and a longer text is
    cut, ending in "…". So every message that quotes such text still prints as exactly
    the one line it says (docs/security.md, invariant 10, "Terminal hygiene").
    """
    text = str(value)[: max(limit, 1) * _READ_PER_SHOWN]
    shown = " ".join(text.split()).translate(_escape_table())
    if len(shown) <= limit:
        return shown
    return shown[: max(limit - 1, 0)] + ELLIPSIS


# The longest message printed: one line, however much a peer said.
MAX_MESSAGE = 1000


def message_of(failure: BaseException) -> str:
    """The one line the command line prints for `failure` (after "awslogin: "); also
    what a login reports to the phone as the reason it could not finish."""
    if isinstance(failure, AwsloginError):
        return one_line(failure.message, MAX_MESSAGE)
    if isinstance(failure, Interrupted):
        return failure.what
    if isinstance(failure, KeyboardInterrupt):
        return "interrupted"
    return UNEXPECTED


def exit_code_of(failure: BaseException) -> int:
    """The exit code the command line ends with after `failure` (cli/main.py)."""
    if isinstance(failure, AwsloginError):
        return failure.exit_code
    if isinstance(failure, Interrupted):
        return failure.exit_code
    if isinstance(failure, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_FAILURE


# What a failed request means, in words, keyed by the name of httpx's exception classes
# (most specific first; by name because this module imports nothing): a message says
# what happened, never an exception's class name.
_TRANSPORT_FAILURES = (
    ("ConnectTimeout", "no connection within the time limit"),
    ("ReadTimeout", "no answer within the time limit"),
    ("WriteTimeout", "the request could not be sent within the time limit"),
    ("PoolTimeout", "no connection free within the time limit"),
    ("TimeoutException", "no answer within the time limit"),
    ("ConnectError", "could not connect"),
    ("RemoteProtocolError", "the connection closed before a whole answer came"),
    ("LocalProtocolError", "the request could not be sent"),
    ("ReadError", "the connection broke while the answer came"),
    ("WriteError", "the connection broke while the request was sent"),
    ("CloseError", "the connection broke"),
    ("ProxyError", "the proxy refused the connection"),
    ("UnsupportedProtocol", "not an http or https address"),
    ("TooManyRedirects", "too many redirects"),
    ("DecodingError", "an answer that could not be decoded"),
)
# What lies under a failed connection, when the operating system said (the builtin
# exceptions, and the resolver's and TLS's, by name).
_CONNECT_CAUSES = (
    ("ConnectionRefusedError", "connection refused (nothing listens there)"),
    ("ConnectionResetError", "the connection was reset"),
    ("gaierror", "the host name does not resolve"),
    ("SSLCertVerificationError", "its TLS certificate is not trusted here"),
    ("SSLError", "the TLS handshake failed"),
)


def failure_in_words(exc: BaseException) -> str:
    """What a network failure means, for a message: "connection refused (nothing listens
    there)", "no answer within the time limit"... The exception's class is never named."""
    chain: list[str] = []
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; a cycle must not hang a message
        if seen is None:
            break
        chain += [cls.__name__ for cls in type(seen).__mro__]
        seen = seen.__cause__ or seen.__context__
    for name, words in _CONNECT_CAUSES:
        if name in chain:
            return words
    for name, words in _TRANSPORT_FAILURES:
        if name in chain:
            return words
    return "the connection failed"


# An exception no layer expected: a bug. The message names no class (see main.py).
UNEXPECTED = "an unexpected internal error; run again with --debug to see where"


class AwsloginError(Exception):
    """A failure the user can act on; the message says what to do."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AwsloginError):
    """The command line itself is wrong (unknown profile option, bad flag value)."""

    exit_code = EXIT_USAGE


class ConfigError(AwsloginError):
    """The AWS config file is malformed or a profile is missing or incomplete."""


class LoginRequired(AwsloginError):
    """No usable session: the only remedy is a new interactive login."""

    def __init__(self, profile: str, reason: str) -> None:
        super().__init__(f"{reason}: run `awslogin login --profile {profile}`")
        self.profile = profile
        self.reason = reason


class ProviderError(AwsloginError):
    """The identity provider, STS or relay refused or failed a request."""


class Unavailable(ProviderError):
    """A remote service did not answer in time, dropped the connection, or said to come
    back later (429, 502, 503, 504): trying again may succeed. `party` names the service
    for the waiting line ("the relay"); `status` is the HTTP status, None when nothing
    answered; `retry_after` is the service's own Retry-After in seconds, when it gave one.

    Waits that have a deadline of their own (the relay's long-poll, a device code's
    polling) retry on it until then; everything else reports it as the failure it is.
    """

    def __init__(
        self,
        message: str,
        *,
        party: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.party = party
        self.status = status
        self.retry_after = retry_after

    @property
    def silent(self) -> bool:
        """Nothing answered, or only a gateway in front of the service (502, 503, 504);
        not a rate limit (429), which is the service answering."""
        return self.status != 429


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP during a command that cleans up like Ctrl-C (a login
    cancels its pairing); the exit code is 128 + the signal's number, as shells report
    it (130, 143, 129)."""

    def __init__(self, signal_number: int, what: str) -> None:
        super().__init__(what)
        self.exit_code = SIGNAL_EXIT_BASE + signal_number
        self.what = what
