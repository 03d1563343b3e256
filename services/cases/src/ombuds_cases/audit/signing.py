"""Ed25519 signing of checkpoints; keys are base64 of the 32 raw key bytes."""

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ombuds_cases.audit.chain import Checkpoint, SignatureCheck, checkpoint_message

# Published on purpose: it signs development logs only, and production refuses it.
DEVELOPMENT_SIGNING_KEY = "d8f+1xxOJNTKc+xXKoMnsnyr/4FtZCEpCqXrje1Zpp0="
DEVELOPMENT_KEY_ID = "development"


class AuditKeyError(ValueError):
    """A key in settings that is not base64 of 32 bytes."""


def _raw_key(encoded: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise AuditKeyError(f"{what} is not valid base64") from error
    if len(raw) != 32:
        raise AuditKeyError(f"{what} must be 32 bytes (base64), not {len(raw)}")
    return raw


def load_private_key(encoded: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw_key(encoded, "the audit signing key"))


def load_public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw_key(encoded, "an audit verify key"))


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The base64 public key to give verifiers (e.g. in CASES_AUDIT_VERIFY_KEYS after rotation)."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


class CheckpointSigner:
    """Signs checkpoints with the current key and names it, so older keys can still verify."""

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        self._private_key = private_key
        self.key_id = key_id

    def sign(self, sequence: int, record_hash: str, signed_at: datetime) -> Checkpoint:
        message = checkpoint_message(sequence, record_hash, self.key_id, signed_at)
        signature = base64.b64encode(self._private_key.sign(message)).decode()
        return Checkpoint(sequence, record_hash, self.key_id, signed_at, signature)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()


def signature_check(public_key: Ed25519PublicKey) -> SignatureCheck:
    def check(message: bytes, signature: str) -> bool:
        try:
            public_key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    return check


def trusted_keys(
    signer: CheckpointSigner, older_keys: Mapping[str, str]
) -> dict[str, SignatureCheck]:
    """The current key plus every retired public key still trusted for old checkpoints."""
    keys = {key_id: signature_check(load_public_key(text)) for key_id, text in older_keys.items()}
    keys[signer.key_id] = signature_check(signer.public_key)
    return keys
