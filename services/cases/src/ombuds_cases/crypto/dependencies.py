"""The app's field keyring, built once from its settings."""

from typing import Annotated

from fastapi import Depends, Request

from ombuds_cases.crypto.keyring import FieldKeyring


def field_keyring(request: Request) -> FieldKeyring:
    keyring: FieldKeyring | None = getattr(request.app.state, "field_keyring", None)
    if keyring is None:
        keyring = request.app.state.settings.field_encryption.keyring()
        request.app.state.field_keyring = keyring
    return keyring


FieldKeyringDep = Annotated[FieldKeyring, Depends(field_keyring)]
