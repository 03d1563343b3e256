"""Request and response bodies of the staff API."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ombuds_cases.staff.credentials import MIN_PASSWORD_LENGTH
from ombuds_cases.staff.policy import Office, Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(_Strict):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(pattern=r"^[0-9]{6}$", description="the current 6-digit TOTP code")


class StaffView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    office: Office | None
    expires_on: date
    active: bool
    totp_enrolled: bool
    password_must_change: bool
    designated_by: str | None
    locked_until: datetime | None
    created_at: datetime
    deactivated_at: datetime | None


class SessionOpened(BaseModel):
    token: str = Field(description="bearer token; also set as an HttpOnly cookie")
    expires_at: datetime
    staff: StaffView


class Me(StaffView):
    blocked_reason: str | None
    permissions: list[str]


class NewStaffRequest(_Strict):
    email: EmailStr
    name: Name
    role: Role
    office: Office | None = None
    expires_on: date


class StaffCreated(BaseModel):
    staff: StaffView
    one_time_password: str = Field(description="shown only now; replaced at first sign-in")


class StaffChangeRequest(_Strict):
    role: Role | None = None
    office: Office | None = None
    expires_on: date | None = None


class StaffPage(BaseModel):
    items: list[StaffView]
    total: int
    limit: int
    offset: int


class TrainingRequest(_Strict):
    course: Name = "General Privacy Awareness Course"
    completed_on: date


class TrainingView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    staff_id: str
    course: str
    completed_on: date
    attested_by: str
    attested_at: datetime


class TotpEnrolled(BaseModel):
    otpauth_uri: str = Field(description="shown only now: load it into an authenticator app")


class PasswordChange(_Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class AssertionRequest(_Strict):
    audience: Literal["referrals"] = "referrals"


class AssertionIssued(BaseModel):
    """A signed staff assertion: send it as `Authorization: Bearer ...` to that service."""

    assertion: str
    audience: str
    expires_at: datetime
