"""AES-GCM primitives: wrapping data keys under master keys, sealing values under data keys."""

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# A sealed field value: `ofe1:<data key id>:<nonce>:<ciphertext>` (base64url, no padding).
TOKEN_VERSION = "ofe1"
NONCE_BYTES = 12
DATA_KEY_BYTES = 32


class FieldDecryptError(Exception):
    """A token or wrapped key that does not open: wrong key, wrong case or field, or altered."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrap_context(control_number: str, data_key_id: str) -> bytes:
    return f"ombuds-case-data-key|{control_number}|{data_key_id}".encode()


def _field_context(control_number: str, field: str) -> bytes:
    return f"ombuds-field|{control_number}|{field}".encode()


class FieldKeyring:
    """The master keys by id; new wraps use the current one, any known id unwraps."""

    def __init__(self, master_keys: Mapping[str, bytes], current_id: str) -> None:
        if current_id not in master_keys:
            raise ValueError(f"master key {current_id!r} is not in the keyring")
        self._keys = dict(master_keys)
        self.current_id = current_id

    def wrap(self, data_key: bytes, control_number: str, data_key_id: str) -> tuple[str, str]:
        """The data key wrapped under the current master key: (master key id, wrapped)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[self.current_id]).encrypt(
            nonce, data_key, _wrap_context(control_number, data_key_id)
        )
        return self.current_id, _b64(nonce + sealed)

    def unwrap(
        self, master_key_id: str, wrapped: str, control_number: str, data_key_id: str
    ) -> bytes:
        master = self._keys.get(master_key_id)
        if master is None:
            raise FieldDecryptError(f"master key {master_key_id!r} is not configured")
        raw = _unb64(wrapped)
        try:
            return AESGCM(master).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _wrap_context(control_number, data_key_id)
            )
        except InvalidTag as error:
            raise FieldDecryptError(f"the data key of {control_number} does not unwrap") from error


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_VERSION + ":")


def seal(data_key: bytes, data_key_id: str, control_number: str, field: str, value: Any) -> str:
    """`value` (any JSON value) sealed for this case and field."""
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(value, ensure_ascii=False).encode()
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _field_context(control_number, field))
    return f"{TOKEN_VERSION}:{data_key_id}:{_b64(nonce)}:{_b64(sealed)}"


def token_key_id(token: str) -> str:
    parts = token.split(":")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        raise FieldDecryptError("not a sealed field value")
    return parts[1]


def unseal(data_key: bytes, control_number: str, field: str, token: str) -> Any:
    """The value sealed in `token`; FieldDecryptError if it was sealed for anything else."""
    token_key_id(token)
    _, _, nonce, sealed = token.split(":")
    try:
        plaintext = AESGCM(data_key).decrypt(
            _unb64(nonce), _unb64(sealed), _field_context(control_number, field)
        )
    except (InvalidTag, ValueError) as error:
        raise FieldDecryptError(f"{field} of {control_number} does not open") from error
    return json.loads(plaintext)
