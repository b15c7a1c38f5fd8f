"""Route declarations that are added to the app itself rather than as included routers.

FastAPI (0.16x) matches an included router's routes through an extra layer that costs a
few microseconds per route per request; on the relay's busiest routes that was a
measurable share of a whole pairing lifecycle. (The four requests of every pairing skip
FastAPI's router altogether: `web.fastpaths`.) Modules declare their routes on a
RouteTable with the familiar decorators, and `create_app` installs them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class RouteTable:
    def __init__(self, **defaults: Any) -> None:
        self._defaults = defaults
        self._entries: list[tuple[str, Callable[..., Any], list[str], dict[str, Any]]] = []

    def _add(
        self, method: str, path: str, options: dict[str, Any]
    ) -> Callable[[Endpoint], Endpoint]:
        def register(endpoint: Endpoint) -> Endpoint:
            self._entries.append((path, endpoint, [method], {**self._defaults, **options}))
            return endpoint

        return register

    def get(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("POST", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("DELETE", path, options)

    def install(self, app: FastAPI) -> None:
        for path, endpoint, methods, options in self._entries:
            app.add_api_route(path, endpoint, methods=methods, **options)
