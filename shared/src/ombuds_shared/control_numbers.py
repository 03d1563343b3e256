"""Control numbers: short, readable, random, with a check character.

Format `OMB-XXXXX-XXXXX-C`: ten random characters and one check character, all from Crockford's
base32 alphabet less `Z` (31 symbols: no I, L, O, U or Z to misread). The check makes the
position-weighted sum of all eleven characters (weights 1 to 11) a multiple of 31. 31 is
prime, every weight is non-zero and neighbouring weights differ, so any single substituted
character and any swap of two adjacent characters, the check character included, changes
the sum. Every character is a letter or digit, so a number is safe in URLs and file names.
"""

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
_MODULUS = len(_ALPHABET)  # 31, a prime
_DATA_LENGTH = 10
_PREFIX = "OMB"
_NORMALISE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SHAPE = re.compile(rf"^[{_ALPHABET}]{{{_DATA_LENGTH + 1}}}$")


class InvalidControlNumber(ValueError):
    """The text is not a control number, or its check character does not match."""


def _weighted_sum(characters: str) -> int:
    return sum(weight * _ALPHABET.index(char) for weight, char in enumerate(characters, start=1))


def _check_symbol(data: str) -> str:
    # Solve (sum + 11 * check) % 31 == 0 for the check's value.
    weight = len(data) + 1
    value = (-_weighted_sum(data) * pow(weight, -1, _MODULUS)) % _MODULUS
    return _ALPHABET[value]


def _format(compact: str) -> str:
    return f"{_PREFIX}-{compact[:5]}-{compact[5:10]}-{compact[10:]}"


def new_control_number() -> str:
    data = "".join(secrets.choice(_ALPHABET) for _ in range(_DATA_LENGTH))
    return _format(data + _check_symbol(data))


def parse_control_number(text: str) -> str:
    """Return the canonical form, or raise InvalidControlNumber saying what is wrong."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    compact = compact.removeprefix(_PREFIX).translate(_NORMALISE)
    if not _SHAPE.match(compact):
        raise InvalidControlNumber(
            "A control number looks like OMB-XXXXX-XXXXX-X: check the number and try again."
        )
    if _weighted_sum(compact) % _MODULUS != 0:
        raise InvalidControlNumber(
            "This control number fails its check character: check the number for a typo."
        )
    return _format(compact)
