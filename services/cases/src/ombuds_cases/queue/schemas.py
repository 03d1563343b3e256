"""Saved view requests and answers; `QueueQuery` is the queue's parameters as data."""

from datetime import date, datetime
from typing import Annotated, Any, Self
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from ombuds_cases.case.schemas import Office
from ombuds_cases.case.status import CaseStatus
from ombuds_cases.repository import SortField, SortOrder

ViewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class QueueQuery(BaseModel):
    """The parameters of `GET /api/v1/cases` (paging aside), with the same rules."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    kind: Annotated[str, StringConstraints(max_length=32)] | None = None
    category: Annotated[str, StringConstraints(max_length=64)] | None = None
    office: Office | None = None
    assignee: Annotated[str, StringConstraints(max_length=200)] | None = None
    channel: Annotated[str, StringConstraints(max_length=32)] | None = None
    received_from: date | None = None
    received_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    overdue: bool | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    sort: SortField | None = None
    order: SortOrder = "desc"

    @model_validator(mode="after")
    def _ranges_run_forward(self) -> Self:
        for first, last in (("received_from", "received_to"), ("updated_from", "updated_to")):
            start, end = getattr(self, first), getattr(self, last)
            if start and end and start > end:
                raise PydanticCustomError(
                    "date_range",
                    "{last} must not be before {first}",
                    {"first": first, "last": last},
                )
        return self

    def as_query_string(self) -> str:
        """The view as `GET /api/v1/cases` parameters, ready to append after `?`."""
        values: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        if values.get("order") == "desc" and "sort" not in values:
            values.pop("order")
        return urlencode(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in values.items()}
        )


class CreateView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ViewName
    query: QueueQuery = Field(default_factory=QueueQuery)


class SavedViewOut(BaseModel):
    id: int
    name: str
    query: QueueQuery
    # `GET /api/v1/cases?<query_string>` runs the view.
    query_string: str
    created_at: datetime


class SavedViewList(BaseModel):
    items: list[SavedViewOut]
