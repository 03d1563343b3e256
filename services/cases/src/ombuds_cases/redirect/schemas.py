"""The redirect action's body: where the submitter is sent, and why."""

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

RedirectTarget = Literal["dhs_trip", "outside_agency"]


class RedirectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: RedirectTarget
    # The body outside DHS the submitter should contact; only for `outside_agency`.
    agency_name: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _agency_named_when_outside(self) -> Self:
        if self.to == "outside_agency" and self.agency_name is None:
            raise ValueError("agency_name: required when to is outside_agency")
        if self.to == "dhs_trip" and self.agency_name is not None:
            raise ValueError("agency_name: only for outside_agency (DHS TRIP is named already)")
        return self
