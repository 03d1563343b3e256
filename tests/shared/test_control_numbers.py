"""Control numbers catch every single-character typo and adjacent transposition."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombuds_shared.control_numbers import (
    InvalidControlNumber,
    new_control_number,
    parse_control_number,
)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"


def characters(number: str) -> list[str]:
    """The ten data characters and the check character."""
    return list(number.replace("-", "")[3:])


def rebuild(chars: list[str]) -> str:
    text = "".join(chars)
    return f"OMB-{text[:5]}-{text[5:10]}-{text[10:]}"


def test_new_numbers_parse_to_themselves() -> None:
    number = new_control_number()
    assert parse_control_number(number) == number
    assert parse_control_number(number.lower().replace("-", " ")) == number


def test_new_numbers_are_not_sequential() -> None:
    assert len({new_control_number() for _ in range(1000)}) == 1000


def test_every_single_substitution_and_adjacent_swap_is_caught() -> None:
    """Exhaustive over every position (the check character included) of many numbers."""
    for _ in range(200):
        original = characters(new_control_number())
        for position in range(11):
            for replacement in ALPHABET:
                if replacement == original[position]:
                    continue
                typo = [*original]
                typo[position] = replacement
                with pytest.raises(InvalidControlNumber, match="check"):
                    parse_control_number(rebuild(typo))
            if position < 10 and original[position] != original[position + 1]:
                swapped = [*original]
                swapped[position], swapped[position + 1] = (
                    original[position + 1],
                    original[position],
                )
                with pytest.raises(InvalidControlNumber, match="check"):
                    parse_control_number(rebuild(swapped))


@given(st.text(alphabet=ALPHABET, min_size=10, max_size=10))
def test_any_data_gets_a_check_symbol_from_the_alphabet(data: str) -> None:
    valid = [c for c in ALPHABET if _is_valid(data + c)]
    assert len(valid) == 1


def _is_valid(compact: str) -> bool:
    try:
        parse_control_number(rebuild(list(compact)))
    except InvalidControlNumber:
        return False
    return True


def test_numbers_are_safe_in_urls_and_file_names() -> None:
    for _ in range(500):
        number = new_control_number()
        assert number.replace("-", "").isalnum()


@pytest.mark.parametrize(
    "text", ["", "OMB-123", "hello world", "OMB-UUUUU-UUUUU-U", "OMB-ZZZZZ-ZZZZZ-Z"]
)
def test_malformed_text_is_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(InvalidControlNumber, match="OMB-XXXXX-XXXXX-X"):
        parse_control_number(text)
