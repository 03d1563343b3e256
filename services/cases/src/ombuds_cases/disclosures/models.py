"""The accounting of disclosures (5 U.S.C. 552a(c); the fields of Form DHS-191).

A row is kept at least five years after the disclosure or for the life of the record,
whichever is longer, so it must outlive the purge of its case: it names the case by control
number and copies the subject's name and email, and has no foreign key a purge would
cascade through (issue 6's purge must leave this table alone until `retain_until`).
"""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombuds_cases.models import Base
from ombuds_shared.db import BigIntPk, UtcDateTime, utcnow

# Where a row came from: the referrals service's first delivery of a referral (inside DHS or
# outside it), or a share staff recorded by hand (a phone call, an email).
SOURCE_REFERRAL = "referral"
SOURCE_MANUAL = "manual"
# A Privacy Act or FOIA release, and a notice of correction sent to an earlier recipient
# (552a(c)(4)): both recorded by the privacy office (ombuds_cases.privacy).
SOURCE_RELEASE = "release"
SOURCE_CORRECTION = "correction"

# Why the record could be shared (`basis`): a referral to an office or component inside DHS
# is a need-to-know share (552a(b)(1)); one outside DHS a routine use of the DHS
# Correspondence Records SORN (552a(b)(3), PIA section 6.2). Manual entries, releases and
# notices of correction carry their source as their basis. Shares inside DHS need no
# accounting under 552a(c), but they are listed anyway so the individual sees every office
# their record went to.
BASIS_NEED_TO_KNOW = "b1_need_to_know"
BASIS_ROUTINE_USE = "b3_routine_use"


class Disclosure(Base):
    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    # One row per referral (`referral:<id>`) or per manual entry (`manual:<uuid>`): a second
    # delivery event of the same referral, or a replay, finds it taken.
    source_key: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(32))
    control_number: Mapped[str] = mapped_column(String(32), index=True)
    # The individual the record is about: the case's contact (None for anonymous cases).
    subject_name: Mapped[str | None] = mapped_column(String(201), nullable=True)
    # The name case-folded with single spaces: SQLite's lower() folds ASCII only.
    subject_name_key: Mapped[str | None] = mapped_column(String(201), nullable=True, index=True)
    subject_email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    disclosed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    nature: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_address: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(32))
    disclosed_by: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
