"""Audit keys from settings: the development key is refused in production, and a key that is
not base64 of 32 bytes is refused with a message naming it."""

import pytest
from pydantic import ValidationError

from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.signing import (
    DEVELOPMENT_SIGNING_KEY,
    load_private_key,
    load_public_key,
    public_key_text,
)
from ombuds_cases.audit.verify import main
from ombuds_cases.config import Settings

PRODUCTION_KEY = "E" * 43 + "="


def test_production_refuses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    monkeypatch.setenv("CASES_DEV_STAFF_TOKEN", "a-real-staff-token")
    monkeypatch.setenv("CASES_STAFF_ASSERTION_KEY", "S" * 43 + "=")
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "B" * 43 + "=")
    # Field encryption's own production key, so only the audit key is missing here.
    monkeypatch.setenv("CASES_FIELD_KEYS", f'{{"2026-11": "{PRODUCTION_KEY}"}}')
    monkeypatch.setenv("CASES_FIELD_KEY_ID", "2026-11")
    # The blind index's own production key (privacy/), likewise.
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "B" * 43 + "=")
    # The staff UI's CSRF secret is refused at its default in production too.
    monkeypatch.setenv("OMBUDS_FORMS_SECRET", "a-production-form-secret-of-32-characters-or-more")

    with pytest.raises(ValidationError, match="set CASES_AUDIT_SIGNING_KEY"):
        Settings()

    monkeypatch.setenv("CASES_AUDIT_SIGNING_KEY", PRODUCTION_KEY)
    monkeypatch.setenv("CASES_AUDIT_SIGNING_KEY_ID", "2026-11")
    settings = Settings()
    assert settings.audit.signing_key.get_secret_value() == PRODUCTION_KEY
    assert settings.audit.signer().key_id == "2026-11"


def test_development_uses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMBUDS_ENV", raising=False)
    monkeypatch.delenv("CASES_AUDIT_SIGNING_KEY", raising=False)

    assert AuditSettings().signing_key.get_secret_value() == DEVELOPMENT_SIGNING_KEY


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CASES_AUDIT_SIGNING_KEY", "not base64!", "the audit signing key is not valid base64"),
        ("CASES_AUDIT_SIGNING_KEY", "c2hvcnQ=", "the audit signing key must be 32 bytes"),
        ("CASES_AUDIT_VERIFY_KEYS", '{"old": "c2hvcnQ="}', "an audit verify key must be 32 bytes"),
        ("CASES_AUDIT_CHECKPOINT_EVERY", "0", "checkpoint_every"),
    ],
)
def test_unusable_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError, match=message):
        AuditSettings()


def test_new_key_prints_a_usable_key_pair(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-key"]) == 0

    key_line, public_line = capsys.readouterr().out.splitlines()
    private = key_line.removeprefix("CASES_AUDIT_SIGNING_KEY=")
    public = public_line.removeprefix("public key: ")
    assert private != DEVELOPMENT_SIGNING_KEY
    assert public_key_text(load_private_key(private)) == public
    assert AuditSettings(signing_key=private).signer().public_key == load_public_key(public)
