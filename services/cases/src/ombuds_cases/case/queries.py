"""Queries for what hangs off a case (notes, links, pointers, self-service, timeline)."""

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.case.records import (
    Amendment,
    CaseLink,
    Note,
    SourcePointer,
    Supplement,
    TimelineEntry,
)


@dataclass
class CaseRecords:
    notes: list[Note]
    links: list[CaseLink]
    source_pointers: list[SourcePointer]
    supplements: list[Supplement]
    amendments: list[Amendment]


ChildRecord = TypeVar("ChildRecord", Note, CaseLink, SourcePointer, Supplement, Amendment)


async def records_of(session: AsyncSession, case_id: int) -> CaseRecords:
    async def rows(model: type[ChildRecord]) -> list[ChildRecord]:
        found = await session.scalars(
            select(model).where(model.case_id == case_id).order_by(model.id)
        )
        return list(found.all())

    return CaseRecords(
        notes=await rows(Note),
        links=await rows(CaseLink),
        source_pointers=await rows(SourcePointer),
        supplements=await rows(Supplement),
        amendments=await rows(Amendment),
    )


async def timeline_of(session: AsyncSession, case_id: int) -> list[TimelineEntry]:
    entries = await session.scalars(
        select(TimelineEntry).where(TimelineEntry.case_id == case_id).order_by(TimelineEntry.id)
    )
    return list(entries.all())
