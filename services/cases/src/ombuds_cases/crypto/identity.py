"""Which case fields are sealed, and how they are sealed, masked and revealed."""

from typing import Any

from ombuds_cases.crypto.keyring import FieldDecryptError, is_sealed
from ombuds_cases.crypto.keys import CaseCipher

IDENTITY_SECTION = "identity"
# Identity document numbers (passport, passport card, visa foil, enhanced driver's licence,
# alien registration, border crossing card, trusted traveller) and the date of birth.
DOCUMENT_NUMBERS = frozenset(
    {
        "passport_number",
        "passport_card_number",
        "visa_foil_number",
        "edl_number",
        "alien_registration_number",
        "border_crossing_card_number",
        "trusted_traveler_id",
    }
)
DATES = frozenset({"date_of_birth"})
SENSITIVE_FIELDS = frozenset(f"{IDENTITY_SECTION}.{name}" for name in DOCUMENT_NUMBERS | DATES)

MASK = "•••••"
DATE_MASK = "••••-••-••"


def is_sensitive(field: str) -> bool:
    return field in SENSITIVE_FIELDS


def seal_value(cipher: CaseCipher, field: str, value: Any) -> Any:
    """The value as stored: sealed when the field is sensitive and there is something to seal."""
    if not is_sensitive(field) or value is None or value == "" or is_sealed(value):
        return value
    return cipher.seal(field, value)


def seal_details(cipher: CaseCipher, details: dict[str, Any]) -> dict[str, Any]:
    """`details` with every sensitive identity value sealed (a new dict; the input is unchanged)."""
    identity = details.get(IDENTITY_SECTION)
    if not isinstance(identity, dict):
        return details
    sealed = {
        name: seal_value(cipher, f"{IDENTITY_SECTION}.{name}", value)
        for name, value in identity.items()
    }
    return {**details, IDENTITY_SECTION: sealed}


def has_plaintext(details: dict[str, Any]) -> bool:
    identity = details.get(IDENTITY_SECTION)
    if not isinstance(identity, dict):
        return False
    return any(
        value not in (None, "") and not is_sealed(value)
        for name, value in identity.items()
        if is_sensitive(f"{IDENTITY_SECTION}.{name}")
    )


def mask(field: str, clear: Any) -> str:
    """`•••••1234` for a number (its last four), `••••-••-••` for a date."""
    if field.removeprefix(f"{IDENTITY_SECTION}.") in DATES:
        return DATE_MASK
    text = str(clear)
    return MASK + text[-4:] if len(text) > 6 else MASK


def masked_value(cipher: CaseCipher | None, field: str, stored: Any) -> Any:
    """What the case view shows for a stored value: masked when sensitive, as stored otherwise."""
    if not is_sensitive(field) or stored is None or stored == "":
        return stored
    if not is_sealed(stored):
        # Not sealed yet (stored before encryption and not yet migrated): still never shown.
        return {"masked": True, "value": mask(field, stored)}
    try:
        clear = cipher.unseal(field, stored) if cipher is not None else None
    except FieldDecryptError:
        clear = None
    if clear is None:
        return {"masked": True, "value": MASK, "unreadable": True}
    return {"masked": True, "value": mask(field, clear)}


def masked_details(cipher: CaseCipher | None, details: dict[str, Any]) -> dict[str, Any]:
    identity = details.get(IDENTITY_SECTION)
    if not isinstance(identity, dict):
        return details
    shown = {
        name: masked_value(cipher, f"{IDENTITY_SECTION}.{name}", value)
        for name, value in identity.items()
    }
    return {**details, IDENTITY_SECTION: shown}


def revealed_value(cipher: CaseCipher | None, field: str, stored: Any) -> Any:
    """The clear value; raises FieldDecryptError when it cannot be opened (shredded, no key)."""
    if not is_sealed(stored):
        return stored
    if cipher is None:
        raise FieldDecryptError(f"{field} has no data key to open it")
    return cipher.unseal(field, stored)
