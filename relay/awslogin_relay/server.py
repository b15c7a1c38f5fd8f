"""Serve the relay with uvicorn, its connections guarded by `awslogin_relay.edge`.

Why uvicorn with httptools and a protocol of our own rather than another server: the
same probe of fat and slow requests found no server that handles them all by itself
(see deploy/README.md, "Slow and fat requests"). uvicorn with h11 refuses large heads
(400, not 431) but keeps half-sent requests for ever; hypercorn answers 431 and times
out heads but never bodies, and is pure Python; granian answers 431 and times out heads
(30 s) but keeps silent connections and fails /healthz when the file limit is reached.
uvicorn with httptools carries the relay's benchmark figures (bench/relay_bench.py), so
it keeps them, and `edge.EdgeProtocol` adds the missing limits to it.

At start the soft open-file limit is raised to the hard one: each waiting long-poll
holds a socket, and the common soft default (1024) is far below the 10,000 long-polls a
relay process is sized for. The connection cap then stays below that limit by a
reserve, for the store's connections, logs and the listening socket.
"""

from __future__ import annotations

import logging
import os
import resource
from typing import Any

from awslogin_relay import edge
from awslogin_relay.settings import Settings

_log = logging.getLogger("awslogin_relay")
# Descriptors kept free of client connections: Redis connections, logs, the listening
# socket, the event loop's own; an eighth of the limit when that is larger.
MIN_RESERVE = 64


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:  # a sandbox may refuse; keep what we have
            _log.warning("could not raise the open-file limit from %d: %s", soft, exc)
    return soft


def connection_cap(configured: int, open_files: int) -> int:
    """RELAY_MAX_CONNECTIONS, or the file limit less the reserve; never past that."""
    room = max(16, open_files - max(MIN_RESERVE, open_files // 8))
    if configured == 0:
        return room
    if configured > room:
        _log.warning(
            "RELAY_MAX_CONNECTIONS=%d is above what the open-file limit (%d) allows; using %d",
            configured,
            open_files,
            room,
        )
        return room
    return configured


def edge_limits(settings: Settings, open_files: int) -> edge.EdgeLimits:
    return edge.EdgeLimits(
        max_head=settings.max_header,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_connections=connection_cap(settings.max_connections, open_files),
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every process of the relay passes to uvicorn."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": edge.IMPORT_PATH,
        "ws": "none",  # the relay has no WebSocket route: an Upgrade is a plain request
        "timeout_keep_alive": settings.keepalive_timeout,
        "access_log": False,  # ours has no query strings (see web.middleware)
        "log_level": settings.log_level,
        "proxy_headers": False,  # X-Forwarded-For is handled by RELAY_TRUSTED_PROXIES
        "server_header": False,
        "timeout_graceful_shutdown": 5,
    }


def serve(settings: Settings) -> None:
    """Run the relay until it is stopped; workers read the settings from os.environ."""
    import uvicorn  # here, so that `--help` and settings errors stay fast

    open_files = raise_open_file_limit()
    limits = edge_limits(settings, open_files)
    _log.info(
        "up to %d connections per process (open-file limit %d)",
        limits.max_connections,
        open_files,
    )
    options = uvicorn_options(settings)
    if settings.workers > 1:
        uvicorn.run(
            "awslogin_relay.server:worker_app",
            factory=True,
            workers=settings.workers,
            **options,
        )
        return
    from awslogin_relay.app import create_app

    edge.configure(limits)
    uvicorn.run(create_app(settings), **options)


def worker_app() -> Any:
    """Factory for each worker process: its app and its own connection guard."""
    from awslogin_relay.app import app_from_env

    settings = Settings.from_env(os.environ)
    open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]  # raised by the parent
    edge.configure(edge_limits(settings, open_files))
    return app_from_env()
