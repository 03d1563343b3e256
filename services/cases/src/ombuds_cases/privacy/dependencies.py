"""The app's blind index key, read once from its settings."""

from typing import Annotated

from fastapi import Depends, Request


def blind_key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "blind_key", None)
    if key is None:
        key = request.app.state.settings.blind_index.raw_key()
        request.app.state.blind_key = key
    return key


BlindKeyDep = Annotated[bytes, Depends(blind_key)]
