"""Control numbers: short, readable, random, with a check character.

Format `OMB-XXXXX-XXXXX-C` in Crockford base32 (no I, L, O, U). The check character is the
value mod 37 (Crockford's check symbols); 37 is prime and coprime with 32 and 31, so any single
substituted character and any swap of two adjacent characters changes the check.
"""

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK_SYMBOLS = _ALPHABET + "*~$=U"
_DATA_LENGTH = 10
_PREFIX = "OMB"
_NORMALISE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SHAPE = re.compile(r"^[0-9A-Z*~$=]{11}$")


class InvalidControlNumber(ValueError):
    """The text is not a control number, or its check character does not match."""


def _check_symbol(data: str) -> str:
    value = 0
    for char in data:
        value = value * 32 + _ALPHABET.index(char)
    return _CHECK_SYMBOLS[value % 37]


def _format(data: str, check: str) -> str:
    return f"{_PREFIX}-{data[:5]}-{data[5:]}-{check}"


def new_control_number() -> str:
    data = "".join(secrets.choice(_ALPHABET) for _ in range(_DATA_LENGTH))
    return _format(data, _check_symbol(data))


def parse_control_number(text: str) -> str:
    """Return the canonical form, or raise InvalidControlNumber saying what is wrong."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    compact = compact.removeprefix(_PREFIX)
    data, check = compact[:-1].translate(_NORMALISE), compact[-1:]
    if not _SHAPE.match(data + check) or any(c not in _ALPHABET for c in data):
        raise InvalidControlNumber(
            "A control number looks like OMB-XXXXX-XXXXX-X: check the number and try again."
        )
    if _check_symbol(data) != check.translate(_NORMALISE):
        raise InvalidControlNumber(
            "This control number fails its check character: check the number for a typo."
        )
    return _format(data, check.translate(_NORMALISE))
