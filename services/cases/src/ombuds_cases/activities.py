"""Activities the case workflows call on the cases task queue."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ombuds_cases import service
from ombuds_cases.case.status import IllegalTransitionError
from ombuds_cases.retention import archive
from ombuds_shared.contracts import RECORD_CASE_STATUS_ACTIVITY, RecordCaseStatus
from ombuds_shared.db import UnitOfWork
from ombuds_shared.retention_contracts import ARCHIVE_CASE_ACTIVITY, ArchiveCase, ArchiveResult


class CaseActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        return self._session_factory

    @activity.defn(name=RECORD_CASE_STATUS_ACTIVITY)
    async def record_status(self, request: RecordCaseStatus) -> bool:
        """Apply a workflow step's status change once; True if this call applied it."""
        async with UnitOfWork(self._session_factory) as uow:
            try:
                applied = await service.change_status(
                    uow.session,
                    request.control_number,
                    request.to_status,
                    request.reason,
                    request.step,
                )
            except IllegalTransitionError as error:
                raise ApplicationError(
                    error.message, type="IllegalTransition", non_retryable=True
                ) from error
            await uow.commit()
            return applied

    @activity.defn(name=ARCHIVE_CASE_ACTIVITY)
    async def archive_case(self, request: ArchiveCase) -> ArchiveResult:
        """Purge the case once (retention/archive.py); a retry returns the stored manifest."""
        async with UnitOfWork(self._session_factory) as uow:
            try:
                result = await archive.archive_case(uow.session, request.control_number)
            except (service.CaseNotFoundError, archive.CaseNotClosedError) as error:
                # Retrying cannot make an unknown or reopened case purgeable: stop the run.
                raise ApplicationError(
                    str(error), type=type(error).__name__, non_retryable=True
                ) from error
            await uow.commit()
            return result
