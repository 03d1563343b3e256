"""Control numbers catch every single-character typo and adjacent transposition."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombuds_shared.control_numbers import (
    InvalidControlNumber,
    new_control_number,
    parse_control_number,
)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def data_chars(number: str) -> list[str]:
    return list(number.replace("-", "")[3:-1])


def rebuild(chars: list[str], check: str) -> str:
    data = "".join(chars)
    return f"OMB-{data[:5]}-{data[5:]}-{check}"


def test_new_numbers_parse_to_themselves() -> None:
    number = new_control_number()
    assert parse_control_number(number) == number
    assert parse_control_number(number.lower().replace("-", " ")) == number


def test_new_numbers_are_not_sequential() -> None:
    assert len({new_control_number() for _ in range(1000)}) == 1000


@given(st.integers(0, 9), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(position: int, replacement: str) -> None:
    number = new_control_number()
    chars = data_chars(number)
    if chars[position] == replacement:
        return
    chars[position] = replacement
    with pytest.raises(InvalidControlNumber, match="check"):
        parse_control_number(rebuild(chars, number[-1]))


@given(st.integers(0, 8))
def test_any_adjacent_transposition_is_caught(position: int) -> None:
    number = new_control_number()
    chars = data_chars(number)
    if chars[position] == chars[position + 1]:
        return
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    with pytest.raises(InvalidControlNumber, match="check"):
        parse_control_number(rebuild(chars, number[-1]))


@pytest.mark.parametrize("text", ["", "OMB-123", "hello world", "OMB-UUUUU-UUUUU-U"])
def test_malformed_text_is_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(InvalidControlNumber, match="OMB-XXXXX-XXXXX-X"):
        parse_control_number(text)
