"""Relay settings, read once from the environment and checked before anything starts.

Every setting is an environment variable (deploy/README.md explains them for operators);
`awslogin-relay --help` prints this table, and its flags only override the same names. A bad value
stops the relay with one line naming the variable, never a traceback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from awslogin_relay.redis_urls import SCHEMES, check_url

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line that names the variable."""


@dataclass(frozen=True, slots=True)
class SettingSpec:
    name: str
    default: str
    help: str
    attribute: str = ""  # the Settings field, when it is not the name's lower-case tail

    @property
    def field(self) -> str:
        return self.attribute or self.name.removeprefix("RELAY_").lower()


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("RELAY_HOST", "127.0.0.1", "address to bind"),
    SettingSpec("RELAY_PORT", "8080", "TCP port to bind"),
    SettingSpec(
        "RELAY_PUBLIC_URL",
        "",
        "external base URL browsers and hosts use (default http://RELAY_HOST:RELAY_PORT); "
        "/callback and /link derive from it",
    ),
    SettingSpec(
        "RELAY_ALLOWED_ORIGINS",
        "",
        "comma list of provider origins (scheme://host[:port]) browsers may be sent to; "
        "empty refuses every pairing",
    ),
    SettingSpec(
        "RELAY_STORE",
        "memory",
        "'memory' (this process only), a Redis URL (redis://[:password@]host[:port][/db], "
        "rediss://..., unix:///path), or Redis Sentinel's "
        "redis+sentinel://[:password@]host[:port][,host[:port]...]/service[/db]"
        "[?sentinel_password=...] (deploy/README.md)",
    ),
    SettingSpec("RELAY_PAIRING_TTL", "600", "seconds a pairing lives"),
    SettingSpec(
        "RELAY_RESULT_TTL",
        "120",
        "seconds a result waits for its host, and then for the host's outcome",
    ),
    SettingSpec(
        "RELAY_REDELIVERY_TTL",
        "60",
        "seconds a result stays collectable again after its first delivery, until the host "
        "acknowledges it (never past RELAY_RESULT_TTL)",
    ),
    SettingSpec(
        "RELAY_TOMBSTONE_TTL",
        "3600",
        "seconds a gone pairing still answers 410 and its page says how it ended",
    ),
    SettingSpec("RELAY_MAX_WAIT", "25", "longest long-poll in seconds (caps ?wait=)"),
    SettingSpec("RELAY_POLL_INTERVAL", "2", "minimum seconds between poll starts per pairing"),
    SettingSpec("RELAY_MAX_PENDING", "10000", "cap on pairings waiting for a browser"),
    SettingSpec(
        "RELAY_MAX_PENDING_PER_CLIENT",
        "20",
        "cap on the pairings waiting for a browser that one client (address or network, "
        "see RELAY_IPV4_PREFIX) created, so that a few clients cannot take RELAY_MAX_PENDING",
    ),
    SettingSpec(
        "RELAY_MAX_PENDING_PER_TOKEN",
        "1000",
        "cap on the pairings waiting for a browser that were created with one creation token "
        "(when RELAY_CREATE_TOKEN is set)",
    ),
    SettingSpec(
        "RELAY_IPV4_PREFIX",
        "32",
        "per-client limits count IPv4 clients by networks of this prefix length (32: each address)",
    ),
    SettingSpec(
        "RELAY_IPV6_PREFIXES",
        "64,48",
        "per-client limits count IPv6 clients by each of these prefix lengths, longest first, "
        "32 to 128 (64: one site or phone, whatever addresses it rotates through; 48: one "
        "allocation); each 8 bits shorter doubles the limits (docs/security.md#fair-share)",
    ),
    SettingSpec("RELAY_RATE_CREATE", "30", "pairings one client may create per rate window"),
    SettingSpec(
        "RELAY_RATE_COLLECT",
        "300",
        "result polls, acks, outcome reports and cancels per rate window: per pairing with "
        "its poll token, per client without one",
    ),
    SettingSpec(
        "RELAY_RATE_BROWSER",
        "60",
        "user-code lookups, confirmations, callbacks and pastes per client per rate window",
    ),
    SettingSpec(
        "RELAY_LINK_MISSES",
        "60",
        "failed code lookups on /link per rate window for the whole relay, all clients "
        "together (a token bucket; when empty, /link answers 429 to everyone)",
    ),
    SettingSpec("RELAY_RATE_WINDOW", "60", "length of the rate-limit window in seconds"),
    SettingSpec("RELAY_MAX_BODY", "32768", "largest request body in bytes (larger: 413)"),
    SettingSpec(
        "RELAY_MAX_HEADER",
        "16384",
        "largest request line plus headers in bytes, at most 65536 (larger: 431 and the "
        "connection closes)",
    ),
    SettingSpec(
        "RELAY_HEADER_TIMEOUT",
        "10",
        "seconds a client has to send a whole request line and headers, from its first byte "
        "or from connecting (then 408, or a plain close if it sent nothing)",
    ),
    SettingSpec(
        "RELAY_BODY_TIMEOUT",
        "10",
        "seconds a request body may take to arrive in full after its headers (then 408)",
    ),
    SettingSpec(
        "RELAY_KEEPALIVE_TIMEOUT",
        "5",
        "seconds an idle keep-alive connection is kept between requests "
        "(keep a reverse proxy's idle timeout below it)",
    ),
    SettingSpec(
        "RELAY_MAX_CONNECTIONS",
        "0",
        "open connections per process; 0: the open-file limit less a reserve. At the cap a "
        "new connection replaces the one that waited longest for a request",
    ),
    SettingSpec(
        "RELAY_TRUSTED_PROXIES",
        "",
        "comma list of proxy addresses/CIDRs whose X-Forwarded-For is believed",
    ),
    SettingSpec(
        "RELAY_CREATE_TOKEN",
        "",
        "if set, POST /v1/pairings needs 'Authorization: Bearer <token>': one token, or several "
        "separated by commas (one per team: each gets its own RELAY_MAX_PENDING_PER_TOKEN); "
        "at least 16 characters each; prefer the variable to the flag, which others see in ps",
        attribute="create_tokens",
    ),
    SettingSpec(
        "RELAY_REQUIRE_NUMBER",
        "false",
        "true: refuse hosts too old to show a number for the confirmation page (protocol "
        "revision 1), so that nobody can start a pairing that skips number matching",
        attribute="require_number",
    ),
    SettingSpec("RELAY_WORKERS", "1", "uvicorn worker processes (more than 1 needs Redis)"),
    SettingSpec("RELAY_LOG_LEVEL", "info", "debug, info, warning or error"),
)

_LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_HEAD_LIMIT = 65536


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    allowed_origins: tuple[str, ...] = ()
    store: str = "memory"
    pairing_ttl: int = 600
    result_ttl: int = 120
    redelivery_ttl: int = 60
    tombstone_ttl: int = 3600
    max_wait: int = 25
    poll_interval: float = 2.0
    max_pending: int = 10000
    max_pending_per_client: int = 20
    max_pending_per_token: int = 1000
    ipv4_prefix: int = 32
    ipv6_prefixes: tuple[int, ...] = (64, 48)
    rate_create: int = 30
    rate_collect: int = 300
    rate_browser: int = 60
    link_misses: int = 60
    rate_window: int = 60
    max_body: int = 32768
    max_header: int = 16384
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    keepalive_timeout: int = 5
    max_connections: int = 0
    trusted_proxies: tuple[IPNetwork, ...] = field(default=())
    create_tokens: tuple[str, ...] = ()
    require_number: bool = False
    workers: int = 1
    log_level: str = "info"

    @property
    def callback_uri(self) -> str:
        return f"{self.public_url}/callback"

    @property
    def verification_uri(self) -> str:
        return f"{self.public_url}/link"

    @property
    def public_origin(self) -> str:
        """scheme://host[:port] of the public URL, as browsers send it in `Origin`."""
        parts = urlsplit(self.public_url)
        return origin_of(parts.scheme, parts.hostname or "", parts.port)

    @property
    def secure_cookies(self) -> bool:
        """Browsers reach the relay over https, so its cookies may be Secure (and must be)."""
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read every RELAY_* variable; raises SettingsError with a one-line message."""

        def raw(name: str) -> str:
            value = environ.get(name, "").strip()
            return value or _DEFAULTS[name]

        for old, new in _RENAMED.items():
            if environ.get(old, "").strip():
                raise SettingsError(f"{old}: renamed {new}; set that instead")
        values: dict[str, Any] = {}
        for spec in SPECS:
            parse = _PARSERS.get(spec.field, _text)
            try:
                values[spec.field] = parse(raw(spec.name))
            except ValueError as exc:
                raise SettingsError(f"{spec.name}: {exc}") from None
        if not values["public_url"]:
            host = values["host"]
            shown = f"[{host}]" if ":" in host else host
            values["public_url"] = f"http://{shown}:{values['port']}"
        if values["workers"] > 1 and values["store"] == "memory":
            raise SettingsError(
                "RELAY_WORKERS: more than one worker needs a shared store (RELAY_STORE=redis://...)"
            )
        if values["result_ttl"] > values["pairing_ttl"]:
            raise SettingsError("RELAY_RESULT_TTL: must not exceed RELAY_PAIRING_TTL")
        return cls(**values)


_DEFAULTS = {spec.name: spec.default for spec in SPECS}
# Settings that changed their name: a deployment that still sets the old one is told at
# start, rather than quietly running on the new one's default.
_RENAMED = {"RELAY_IPV6_PREFIX": "RELAY_IPV6_PREFIXES"}


def _text(value: str) -> str:
    return value


def _flag(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError("expected true or false")
    return value.lower() == "true"


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {number}")
        return number

    return parse


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if not 0 <= number <= 3600:
        raise ValueError("expected 0 to 3600 seconds")
    return number


def _timeout(value: str) -> float:
    number = _seconds(value)
    if number < 0.1:
        raise ValueError("expected 0.1 to 3600 seconds")
    return number


def _host(value: str) -> str:
    if any(c.isspace() for c in value) or "/" in value:
        raise ValueError("expected an address or host name")
    return value


def _origin(value: str) -> str:
    """Normalize scheme://host[:port], dropping the scheme's default port."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) origin")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} must not contain user information")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is an origin: scheme://host[:port] with no path")
    return origin_of(parts.scheme, parts.hostname, parts.port)


def origin_of(scheme: str, hostname: str, port: int | None) -> str:
    """The canonical origin text that allow-list entries and authorize URLs are compared by."""
    host = hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def _origins(value: str) -> tuple[str, ...]:
    return tuple(_origin(item.strip()) for item in value.split(",") if item.strip())


def _public_url(value: str) -> str:
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("expected an http(s) URL such as https://relay.example.com")
    if parts.username is not None or parts.query or parts.fragment:
        raise ValueError("expected a base URL without user information, query or fragment")
    return value.rstrip("/")


def _store(value: str) -> str:
    if value == "memory":
        return value
    if value.startswith(SCHEMES):
        check_url(value)  # a bad port or db fails here, in one line, not at the first request
        return value
    raise ValueError("expected 'memory', a redis:// URL or a redis+sentinel:// URL")


def _proxies(value: str) -> tuple[IPNetwork, ...]:
    networks = []
    for item in value.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{item.strip()!r} is not an IP address or CIDR") from None
    return tuple(networks)


def _ipv6_prefixes(value: str) -> tuple[int, ...]:
    """Prefix lengths, longest first: the first is the client, each next one a larger
    network it belongs to (docs/security.md#fair-share)."""
    parse = _int_between(32, 128)
    prefixes = tuple(parse(item.strip()) for item in value.split(",") if item.strip())
    if not prefixes:
        raise ValueError("expected one or more prefix lengths, e.g. 64,48")
    if any(longer <= shorter for longer, shorter in pairwise(prefixes)):
        raise ValueError("expected prefix lengths longest first, each once, e.g. 64,56,48")
    return prefixes


def _create_tokens(value: str) -> tuple[str, ...]:
    tokens = tuple(item.strip() for item in value.split(",") if item.strip())
    if any(len(token) < 16 or any(c.isspace() for c in token) for token in tokens):
        raise ValueError("each token must be at least 16 characters, without spaces")
    if len(set(tokens)) != len(tokens):
        raise ValueError("a token is listed twice")
    return tokens


def _log_level(value: str) -> str:
    if value.lower() not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}")
    return value.lower()


_PARSERS: dict[str, Callable[[str], Any]] = {
    "host": _host,
    "port": _int_between(1, 65535),
    "public_url": _public_url,
    "allowed_origins": _origins,
    "store": _store,
    "pairing_ttl": _int_between(30, 86400),
    "result_ttl": _int_between(5, 86400),
    "redelivery_ttl": _int_between(1, 86400),
    "tombstone_ttl": _int_between(0, 7 * 86400),
    "max_wait": _int_between(0, 120),
    "poll_interval": _seconds,
    "max_pending": _int_between(1, 10_000_000),
    "max_pending_per_client": _int_between(1, 10_000_000),
    "max_pending_per_token": _int_between(1, 10_000_000),
    "ipv4_prefix": _int_between(8, 32),
    "ipv6_prefixes": _ipv6_prefixes,
    "rate_create": _int_between(1, 10_000_000),
    "rate_collect": _int_between(1, 10_000_000),
    "rate_browser": _int_between(1, 10_000_000),
    "link_misses": _int_between(1, 10_000_000),
    "rate_window": _int_between(1, 86400),
    "max_body": _int_between(1024, 16 * 1024 * 1024),
    # uvicorn's parser refuses a request target over 65535 bytes with a bare text/plain 400;
    # a head limit of at most 64 KiB answers such a request with the documented 431 first.
    "max_header": _int_between(1024, MAX_HEAD_LIMIT),
    "header_timeout": _timeout,
    "body_timeout": _timeout,
    "keepalive_timeout": _int_between(1, 3600),
    "max_connections": _int_between(0, 10_000_000),
    "trusted_proxies": _proxies,
    "create_tokens": _create_tokens,
    "require_number": _flag,
    "workers": _int_between(1, 64),
    "log_level": _log_level,
}
