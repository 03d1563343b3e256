"""What every service's HTTP surface shares: error shapes, body limit, health."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    """Refuses bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = b'{"detail":"The request body is larger than 1 MiB.","code":"too_large"}'
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


def install_common(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    # A database that is down or unreachable: say so, and nothing half-done is kept (the
    # transaction never committed).
    for error_type in (DBAPIError, OSError, TimeoutError):
        app.add_exception_handler(error_type, _dependency_down)
    app.add_middleware(BodySizeLimit)


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
