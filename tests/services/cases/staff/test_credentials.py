"""Passwords (argon2id) and TOTP codes: wrong, right, adjacent step and beyond (no database)."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from ombuds_cases.staff import credentials

NOW = datetime(2026, 11, 23, 3, 0, 15, tzinfo=UTC)
STEP = timedelta(seconds=30)


@pytest.fixture
def secret() -> str:
    # Fixed, with a fixed clock, so the codes (and that no two of them collide) never vary.
    return "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_current_code_is_accepted_at_its_own_step(secret: str) -> None:
    totp = pyotp.TOTP(secret)
    assert credentials.totp_step(secret, totp.at(NOW), NOW) == totp.timecode(NOW)


@pytest.mark.parametrize("steps_away", [-1, 1])
def test_a_code_one_step_away_is_accepted(secret: str, steps_away: int) -> None:
    totp = pyotp.TOTP(secret)
    code = totp.at(NOW + steps_away * STEP)
    assert credentials.totp_step(secret, code, NOW) == totp.timecode(NOW) + steps_away


@pytest.mark.parametrize("steps_away", [-2, 2, -10])
def test_a_code_two_or_more_steps_away_is_refused(secret: str, steps_away: int) -> None:
    code = pyotp.TOTP(secret).at(NOW + steps_away * STEP)
    assert code not in {pyotp.TOTP(secret).at(NOW + offset * STEP) for offset in (-1, 0, 1)}
    assert credentials.totp_step(secret, code, NOW) is None


def test_a_wrong_code_is_refused(secret: str) -> None:
    good = {pyotp.TOTP(secret).at(NOW + offset * STEP) for offset in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in good)
    assert credentials.totp_step(secret, wrong, NOW) is None


def test_the_enrolment_uri_names_issuer_and_account(secret: str) -> None:
    uri = credentials.totp_uri(secret, "ana@agency.example.gov", "Ombuds")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert uri.startswith("otpauth://totp/Ombuds:ana%40agency.example.gov?")


def test_passwords_are_argon2id_and_verify_only_themselves() -> None:
    hashed = credentials.hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert credentials.password_matches(hashed, "a long enough password")
    assert not credentials.password_matches(hashed, "a long enough passworD")
    assert not credentials.password_matches(None, "a long enough password")
    assert not credentials.password_matches("not a hash", "a long enough password")


def test_session_tokens_are_stored_as_hashes() -> None:
    token = credentials.new_session_token()
    assert len(token) >= 43
    assert credentials.token_hash(token) != token
    assert len(credentials.token_hash(token)) == 64
