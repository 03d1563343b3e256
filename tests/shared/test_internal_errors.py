"""An unexpected exception: the caller gets a generic 500 with an error id, the log the rest."""

import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ombuds_shared.http import NotFoundError, install_common
from ombuds_shared.internal_errors import INTERNAL_ERROR_DETAIL

SECRET = "password=hunter2 at /srv/ombuds/app.py"


class LeakyMiddleware:
    """Fails before routing, outside every handler but the outermost one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/middleware-boom":
            raise LookupError(SECRET)
        await self.app(scope, receive, send)


def build_app(debug: bool = False) -> FastAPI:
    app = FastAPI(debug=debug)
    install_common(app)
    app.add_middleware(LeakyMiddleware)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFoundError("No such thing.")

    return app


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-asked-for"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: see what a caller sees (Starlette re-raises for the server
    # to log once the response is sent).
    transport = httpx.ASGITransport(app=build_app(debug=request.param), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


def assert_generic(response: httpx.Response) -> str:
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "error_id"}
    assert body["detail"] == INTERNAL_ERROR_DETAIL
    assert body["code"] == "internal_error"
    assert str(uuid.UUID(body["error_id"])) == body["error_id"]
    for leak in ("Traceback", "RuntimeError", "LookupError", "hunter2", ".py", 'File "', "line "):
        assert leak not in response.text
    error_id: str = body["error_id"]
    return error_id


@pytest.mark.parametrize("path", ["/boom", "/middleware-boom"])
async def test_an_exception_becomes_a_generic_500(
    http: httpx.AsyncClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ombuds_shared.internal_errors"):
        error_id = assert_generic(await http.get(path))
    (record,) = [r for r in caplog.records if r.name == "ombuds_shared.internal_errors"]
    assert error_id in record.getMessage()
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


async def test_each_error_has_its_own_id(http: httpx.AsyncClient) -> None:
    first = assert_generic(await http.get("/boom"))
    second = assert_generic(await http.get("/boom"))
    assert first != second


async def test_service_errors_keep_their_own_status(http: httpx.AsyncClient) -> None:
    response = await http.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such thing.", "code": "not_found"}


def test_install_common_turns_debug_off() -> None:
    assert build_app(debug=True).debug is False
