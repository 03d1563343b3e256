"""The directory admin API's bodies: an entry in, an entry out (never its webhook secret)."""

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, model_validator

Kind = Literal["internal_office", "dhs_component", "outside_agency"]
BusinessDays = Field(ge=1, le=365)


class EntryFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kafka_enabled: bool | None = None
    webhook_url: HttpUrl | None = None
    # Shared with the recipient to verify signatures; long enough not to be guessed.
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=200)
    email: EmailStr | None = None


class DirectoryEntryCreate(EntryFields):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    kind: Kind
    name: str = Field(min_length=1, max_length=200)
    postal_address: str = Field(min_length=1, max_length=1000)
    kafka_enabled: bool | None = False
    acknowledgement_business_days: int = BusinessDays
    response_business_days: int = BusinessDays


class DirectoryEntryUpdate(EntryFields):
    """Only the fields given change; `null` clears a channel."""

    kind: Kind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    postal_address: str | None = Field(default=None, min_length=1, max_length=1000)
    acknowledgement_business_days: int | None = Field(default=None, ge=1, le=365)
    response_business_days: int | None = Field(default=None, ge=1, le=365)
    disabled: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class DirectoryEntryView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    postal_address: str
    kafka_enabled: bool
    webhook_url: str | None
    webhook_secret_set: bool
    email: str | None
    channels: list[str]
    acknowledgement_business_days: int
    response_business_days: int
    disabled: bool
    created_at: datetime
    updated_at: datetime


class ApiKeyIssued(BaseModel):
    """Shown once: only the prefix and the key's SHA-256 are kept."""

    directory_id: str
    prefix: str
    api_key: str
    created_at: datetime
