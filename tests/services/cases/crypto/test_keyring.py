"""The AES-GCM primitives: sealed values open only with their data key, case and field; data
keys unwrap under any configured master key; the settings refuse unusable keys."""

import base64
import os
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from ombuds_cases.crypto.config import (
    DEVELOPMENT_FIELD_KEY,
    DEVELOPMENT_FIELD_KEY_ID,
    FieldEncryptionSettings,
)
from ombuds_cases.crypto.identity import DATE_MASK, MASK, mask, masked_value, seal_details
from ombuds_cases.crypto.keyring import (
    FieldDecryptError,
    FieldKeyring,
    is_sealed,
    seal,
    unseal,
)
from ombuds_cases.crypto.keys import CaseCipher, DataKeyShreddedError

CONTROL = "OMB-AAAAA-BBBBB-C"
OTHER_CONTROL = "OMB-ZZZZZ-YYYYY-X"
FIELD = "identity.passport_number"


def _key() -> bytes:
    return os.urandom(32)


def test_a_sealed_value_round_trips_and_holds_no_plaintext() -> None:
    data_key = _key()
    token = seal(data_key, "k1", CONTROL, FIELD, "X12345678")

    assert is_sealed(token)
    assert token.startswith("ofe1:k1:")
    assert "X12345678" not in token
    assert unseal(data_key, CONTROL, FIELD, token) == "X12345678"
    # Fresh nonce each time: the same number never gives the same token.
    assert seal(data_key, "k1", CONTROL, FIELD, "X12345678") != token


@pytest.mark.parametrize(
    ("control_number", "field", "key_is_other"),
    [
        (OTHER_CONTROL, FIELD, False),
        (CONTROL, "identity.visa_foil_number", False),
        (CONTROL, FIELD, True),
    ],
    ids=["another case", "another field", "another key"],
)
def test_a_sealed_value_does_not_open_elsewhere(
    control_number: str, field: str, key_is_other: bool
) -> None:
    data_key = _key()
    token = seal(data_key, "k1", CONTROL, FIELD, "X12345678")

    with pytest.raises(FieldDecryptError):
        unseal(_key() if key_is_other else data_key, control_number, field, token)


def test_an_altered_token_does_not_open() -> None:
    data_key = _key()
    token = seal(data_key, "k1", CONTROL, FIELD, "X12345678")
    head, _, body = token.rpartition(":")
    altered = f"{head}:{'A' if body[0] != 'A' else 'B'}{body[1:]}"

    with pytest.raises(FieldDecryptError):
        unseal(data_key, CONTROL, FIELD, altered)


def test_a_cipher_refuses_a_token_of_another_data_key() -> None:
    mine = CaseCipher(CONTROL, "mine", _key())
    theirs = CaseCipher(CONTROL, "theirs", _key())

    with pytest.raises(FieldDecryptError):
        mine.unseal(FIELD, theirs.seal(FIELD, "X12345678"))


def test_a_shredded_cipher_neither_seals_nor_opens() -> None:
    token = CaseCipher(CONTROL, "k1", _key()).seal(FIELD, "X12345678")
    shredded = CaseCipher(CONTROL, "k1", None)

    with pytest.raises(DataKeyShreddedError):
        shredded.unseal(FIELD, token)
    with pytest.raises(DataKeyShreddedError):
        shredded.seal(FIELD, "X12345678")
    assert masked_value(shredded, FIELD, token) == {
        "masked": True,
        "value": MASK,
        "unreadable": True,
    }


def test_data_keys_unwrap_under_old_master_keys_after_rotation() -> None:
    old, new = _key(), _key()
    data_key = _key()
    before = FieldKeyring({"2025": old}, "2025")
    master_id, wrapped = before.wrap(data_key, CONTROL, "dk")

    after = FieldKeyring({"2025": old, "2026": new}, "2026")
    assert after.unwrap(master_id, wrapped, CONTROL, "dk") == data_key
    new_id, rewrapped = after.wrap(data_key, CONTROL, "dk")
    assert new_id == "2026"
    assert FieldKeyring({"2026": new}, "2026").unwrap(new_id, rewrapped, CONTROL, "dk") == data_key
    with pytest.raises(FieldDecryptError):
        FieldKeyring({"2026": new}, "2026").unwrap(master_id, wrapped, CONTROL, "dk")
    # A wrapped key moved to another case does not unwrap.
    with pytest.raises(FieldDecryptError):
        after.unwrap(master_id, wrapped, OTHER_CONTROL, "dk")


def test_only_identity_numbers_and_birth_dates_are_sealed_and_masked() -> None:
    cipher = CaseCipher(CONTROL, "k1", _key())
    details: dict[str, Any] = {
        "contact": {"city": "Laredo"},
        "identity": {
            "passport_number": "X12345678",
            "date_of_birth": "1980-02-29",
            "passport_country": "MX",
            "trusted_traveler_id": None,
        },
    }

    sealed = seal_details(cipher, details)

    identity = sealed["identity"]
    assert is_sealed(identity["passport_number"])
    assert is_sealed(identity["date_of_birth"])
    assert identity["passport_country"] == "MX"
    assert identity["trusted_traveler_id"] is None
    assert sealed["contact"] == {"city": "Laredo"}
    assert details["identity"]["passport_number"] == "X12345678"  # the input is not changed
    assert masked_value(cipher, FIELD, identity["passport_number"]) == {
        "masked": True,
        "value": MASK + "5678",
    }
    assert mask("identity.date_of_birth", "1980-02-29") == DATE_MASK


def test_settings_refuse_the_development_key_in_production_and_bad_keys() -> None:
    with pytest.raises(ValidationError, match="refused in production"):
        FieldEncryptionSettings.model_validate({"OMBUDS_ENV": "production"})
    with pytest.raises(ValidationError, match="32 bytes"):
        FieldEncryptionSettings(
            keys={"k": SecretStr(base64.b64encode(b"short").decode())}, key_id="k"
        )
    with pytest.raises(ValidationError, match="not in CASES_FIELD_KEYS"):
        FieldEncryptionSettings(key_id="missing")
    production_key = base64.b64encode(_key()).decode()
    settings = FieldEncryptionSettings.model_validate(
        {"OMBUDS_ENV": "production", "keys": {"2026": SecretStr(production_key)}, "key_id": "2026"}
    )
    assert settings.keyring().current_id == "2026"
    assert DEVELOPMENT_FIELD_KEY_ID in FieldEncryptionSettings().keys
    assert FieldEncryptionSettings().keys[DEVELOPMENT_FIELD_KEY_ID].get_secret_value() == (
        DEVELOPMENT_FIELD_KEY
    )


def test_settings_read_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = base64.b64encode(_key()).decode()
    monkeypatch.setenv("CASES_FIELD_KEYS", f'{{"2027": "{key}"}}')
    monkeypatch.setenv("CASES_FIELD_KEY_ID", "2027")

    assert FieldEncryptionSettings().keyring().current_id == "2027"
