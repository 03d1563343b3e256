"""The auditor's view of the audit trail."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditRecordView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    occurred_at: datetime
    actor: str
    actor_role: str
    action: str
    record_type: str
    record_id: str
    fields: list[str]
    client_address: str | None
    outcome: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordView]
    total: int
    limit: int
    offset: int
