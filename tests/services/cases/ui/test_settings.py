"""The staff UI's CSRF secret: refused at its development default in production."""

import pytest
from pydantic import ValidationError

from ombuds_cases.config import Settings

FORMS_SECRET = "a-production-form-secret-of-32-characters-or-more"


def test_production_refuses_the_development_forms_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_ENV", "production")
    monkeypatch.setenv("CASES_DEV_STAFF_TOKEN", "a-real-staff-token")
    monkeypatch.setenv("CASES_STAFF_ASSERTION_KEY", "S" * 43 + "=")
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "B" * 43 + "=")
    monkeypatch.setenv("CASES_AUDIT_SIGNING_KEY", "E" * 43 + "=")
    # Field encryption's own production key, so only the forms secret is missing here.
    monkeypatch.setenv("CASES_FIELD_KEYS", '{"2026-11": "' + "F" * 43 + '="}')
    monkeypatch.setenv("CASES_FIELD_KEY_ID", "2026-11")
    # The blind index's own production key (privacy/), likewise.
    monkeypatch.setenv("CASES_BLIND_INDEX_KEY", "B" * 43 + "=")
    monkeypatch.delenv("OMBUDS_FORMS_SECRET", raising=False)
    with pytest.raises(ValidationError, match="OMBUDS_FORMS_SECRET must be set in production"):
        Settings()
    monkeypatch.setenv("OMBUDS_FORMS_SECRET", FORMS_SECRET)
    assert Settings().forms.secret.get_secret_value() == FORMS_SECRET
