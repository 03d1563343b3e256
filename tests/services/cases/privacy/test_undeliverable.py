"""A correction notice referrals could not deliver shows once on the case timeline, naming
whom staff must write to and why; one about an unknown (archived) case is dropped."""

import httpx

from ombuds_cases.privacy.undeliverable import KIND, UndeliverableCorrectionHandler
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import utcnow
from ombuds_shared.events import (
    REFERRAL_CORRECTION_UNDELIVERABLE_V1,
    CloudEvent,
    ReferralCorrectionUndeliverableV1,
    make_event,
)

from ..conftest import OpenCase
from .conftest import ok
from .test_amendments import Sessions


def undeliverable(control_number: str) -> CloudEvent:
    body = ReferralCorrectionUndeliverableV1(
        control_number=control_number,
        amendment_id="privacy-9",
        field="incident_location",
        recipient_name="Sam Advocate",
        recipient_address="1 Main Street, Dover, DE 19901",
        disclosed_at=utcnow(),
        reason="not in the directory: tell this recipient by letter",
        occurred_at=utcnow(),
    )
    return make_event(
        "ombuds-referrals", REFERRAL_CORRECTION_UNDELIVERABLE_V1, body, control_number
    )


async def test_an_undeliverable_correction_notice_shows_once_on_the_timeline(
    client: httpx.AsyncClient, open_case: OpenCase, session_factory: Sessions
) -> None:
    number = await open_case()
    event = undeliverable(number)
    handler = UndeliverableCorrectionHandler(session_factory)
    await handler(event)
    await handler(event)
    # An event about a case this service no longer holds is consumed without effect.
    await handler(undeliverable(new_control_number()))

    timeline = ok(await client.get(f"/api/v1/cases/{number}/timeline"), 200)["entries"]
    entries = [e for e in timeline if e["kind"] == KIND]
    assert len(entries) == 1
    assert "Sam Advocate" in entries[0]["summary"]
    assert "by letter" in entries[0]["summary"]
