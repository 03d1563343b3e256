"""The body limit: 1 MiB everywhere, a larger one only below the prefixes given."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, File, Request, UploadFile

from ombuds_shared.http import BodySizeLimit, install_common

MIB = 1024 * 1024


def make_app() -> FastAPI:
    app = FastAPI()
    install_common(app, body_limits={"/uploads": 3 * MIB, "/uploads/small": MIB // 2})

    @app.post("/json")
    async def json_body(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.post("/uploads")
    @app.post("/uploadsX")
    @app.post("/uploads/small")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"received": len(await file.read())}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_app()), base_url="http://test"
    ) as client:
        yield client


def upload(size: int) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("a.bin", b"x" * size, "application/octet-stream")}


async def streamed_upload(size: int) -> AsyncIterator[bytes]:
    """A multipart body sent in chunks, without Content-Length."""
    yield (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    for _ in range(size // 65536):
        yield b"x" * 65536
    yield b"\r\n--b--\r\n"


def too_large(response: httpx.Response, limit: str) -> bool:
    return response.status_code == 413 and response.json() == {
        "detail": f"The request body is larger than {limit}.",
        "code": "too_large",
    }


async def test_a_prefix_gets_its_own_limit(client: httpx.AsyncClient) -> None:
    accepted = await client.post("/uploads", files=upload(2 * MIB))
    assert accepted.status_code == 200
    assert accepted.json() == {"received": 2 * MIB}
    assert too_large(await client.post("/uploads", files=upload(3 * MIB)), "3 MiB")


async def test_everything_else_keeps_1_mib(client: httpx.AsyncClient) -> None:
    assert too_large(await client.post("/json", content=b"x" * (MIB + 1)), "1 MiB")
    # A prefix covers its own path and what lies below it, not a longer name.
    assert too_large(await client.post("/uploadsX", files=upload(2 * MIB)), "1 MiB")
    assert (await client.post("/json", content=b"x" * MIB)).json() == {"received": MIB}


async def test_the_longest_prefix_wins(client: httpx.AsyncClient) -> None:
    assert too_large(await client.post("/uploads/small", files=upload(MIB)), f"{MIB // 2} bytes")


async def test_a_streamed_upload_over_the_limit_is_a_413_not_a_parse_error(
    client: httpx.AsyncClient,
) -> None:
    headers = {"content-type": "multipart/form-data; boundary=b"}
    small = await client.post("/uploads", content=streamed_upload(MIB), headers=headers)
    assert small.json() == {"received": MIB}
    big = await client.post("/uploads", content=streamed_upload(4 * MIB), headers=headers)
    assert too_large(big, "3 MiB")


def test_limit_for() -> None:
    middleware = BodySizeLimit(make_app(), path_limits={"/a/": 10, "/a/b": 20})
    assert [middleware.limit_for(p) for p in ("/a", "/a/", "/a/x", "/a/b/c", "/ab", "/")] == [
        10,
        10,
        10,
        20,
        MIB,
        MIB,
    ]
