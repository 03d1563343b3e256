"""The short-lived self-service token: proof that its bearer read a code sent to the submitter.

Signed with a key derived from the verification secret (itsdangerous adds the timestamp);
bound to one control number; good for `TOKEN_MAX_AGE_SECONDS`.
"""

from itsdangerous import BadSignature, URLSafeTimedSerializer

TOKEN_MAX_AGE_SECONDS = 3600
_SALT = "ombuds.self-service.v1"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def issue_token(secret: str, control_number: str) -> str:
    """A token that lets its bearer act on `control_number` for the next hour."""
    return _serializer(secret).dumps({"control_number": control_number})


def token_controls(
    secret: str, token: str | None, control_number: str, max_age: int = TOKEN_MAX_AGE_SECONDS
) -> bool:
    """Whether `token` is ours, current, and for `control_number` (expired counts as no)."""
    if not token:
        return False
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return False
    return isinstance(data, dict) and data.get("control_number") == control_number
