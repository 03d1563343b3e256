"""Signed webhooks: HMAC-SHA256 over `<timestamp>.<body>`, sent with both in headers.

A receiver recomputes the signature with its shared secret, compares in constant time and
refuses a timestamp too far from its clock (a replayed request).
"""

import hashlib
import hmac

import httpx
from temporalio.exceptions import ApplicationError

TIMESTAMP_HEADER = "X-Ombuds-Timestamp"
SIGNATURE_HEADER = "X-Ombuds-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_VERSION = "v1"
# A 408 or 429 is "try later"; any other 4xx is the receiver refusing this request for good.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver checks: the signature, and a timestamp within `tolerance` seconds."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)


async def post_signed(
    url: str, secret: str, body: bytes, idempotency_key: str, timestamp: int, timeout: float
) -> int:
    """POST `body`; raise a non-retryable ApplicationError for a refusal, retryable otherwise."""
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        IDEMPOTENCY_HEADER: idempotency_key,
    }
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.post(url, content=body, headers=headers)
    status = response.status_code
    if 200 <= status < 300:
        return status
    refused = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
    raise ApplicationError(
        f"webhook {url} answered {status}",
        type="WebhookRefused" if refused else "WebhookUnavailable",
        non_retryable=refused,
    )
