"""What every service's HTTP surface shares: error shapes, body limit, health."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ombuds_shared.internal_errors import internal_error

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024

HealthCheck = Callable[[], Awaitable[bool]]


class ServiceError(Exception):
    """A domain error that knows its HTTP status; one handler renders them all."""

    status_code = 400
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ServiceError):
    status_code = 404
    code = "not_found"


class ConflictError(ServiceError):
    status_code = 409
    code = "conflict"


class UnavailableError(ServiceError):
    status_code = 503
    code = "unavailable"


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            # A JSON syntax error's location is a character offset, not a field.
            "field": "body"
            if item.get("type") == "json_invalid"
            else _field_name(item.get("loc", ())),
            "rule": item.get("type", "invalid"),
            "message": item.get("msg", "invalid value"),
        }
        for item in error.errors()
    ]
    return JSONResponse(
        status_code=422, content={"detail": "The request is not valid.", "errors": errors}
    )


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    return JSONResponse(
        status_code=error.status_code, content={"detail": error.message, "code": error.code}
    )


class BodySizeLimit:
    """Refuses bodies over the limit with 413, whether or not Content-Length is sent.

    `path_limits` gives a path prefix (and everything below it) its own limit, e.g. a larger
    one for file uploads; the longest matching prefix wins.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = sorted(
            ((prefix.rstrip("/"), limit) for prefix, limit in (path_limits or {}).items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.path_limits:
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._too_large(send, max_bytes)
            return
        received = 0
        response_started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, response_started, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Answer now: a form parser that catches the error would otherwise turn it
                    # into its own 400, which `tracking_send` then drops.
                    if not response_started:
                        response_started = refused = True
                        await self._too_large(send, max_bytes)
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, tracking_send)

    async def _too_large(self, send: Send, max_bytes: int) -> None:
        body = json.dumps(
            {
                "detail": f"The request body is larger than {_describe_bytes(max_bytes)}.",
                "code": "too_large",
            },
            separators=(",", ":"),
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


def _describe_bytes(size: int) -> str:
    """Whole MiB, rounded down: a 10 MiB upload limit plus framing still reads "10 MiB"."""
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size >= mib else f"{size} bytes"


async def _dependency_down(request: Request, error: Exception) -> JSONResponse:
    log.error("%s %s: a dependency is unavailable: %r", request.method, request.url.path, error)
    return JSONResponse(
        status_code=503,
        content={
            "detail": "The service cannot complete this request right now; nothing was changed. "
            "Please try again shortly.",
            "code": "unavailable",
        },
        headers={"Retry-After": "5"},
    )


def session_factory_of(request: Request) -> async_sessionmaker[AsyncSession]:
    """The service's session factory, opened once by its lifespan."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


async def _session_factory_dependency(request: Request) -> async_sessionmaker[AsyncSession]:
    return session_factory_of(request)


SessionFactoryDep = Annotated[
    async_sessionmaker[AsyncSession], Depends(_session_factory_dependency)
]


def install_common(app: FastAPI, body_limits: Mapping[str, int] | None = None) -> None:
    """Error rendering and the body limit: 1 MiB, or `body_limits[prefix]` below a path prefix."""
    # Anything unexpected: a generic 500 with an error id, the traceback only in the log.
    # Starlette's debug mode would send the traceback to the caller instead, so it stays off.
    app.debug = False
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    # A database that is down or unreachable: say so, and nothing half-done is kept (the
    # transaction never committed).
    for error_type in (DBAPIError, OSError, TimeoutError):
        app.add_exception_handler(error_type, _dependency_down)
    app.add_middleware(BodySizeLimit, path_limits=body_limits)


def add_health_route(app: FastAPI, checks: Callable[[], dict[str, HealthCheck]]) -> None:
    """`GET /healthz`: 200 when every dependency answers, else 503 naming the ones down."""

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                ok = await asyncio.wait_for(check(), 3)
            except Exception:
                ok = False
            results[name] = "up" if ok else "down"
        healthy = all(state == "up" for state in results.values())
        return JSONResponse(
            status_code=200 if healthy else 503,
            content={"status": "ok" if healthy else "unavailable", "checks": results},
        )
