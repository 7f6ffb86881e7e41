"""Job queue visibility for administrators: counts, failed and dead jobs, retry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession
from akte.core.errors import Forbidden, NotAuthenticated, NotFound, responses
from akte.core.pagination import Page, Pagination, paginate
from akte.jobs import repository
from akte.users.models import Role

router = APIRouter(prefix="/api/v1/jobs", tags=["Betrieb"])


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    #: When the job first met the storage/database outage it is waiting out, if any.
    outage_since: datetime | None = None
    created_at: datetime
    finished_at: datetime | None


@router.get("", responses=responses(NotAuthenticated, Forbidden))
def list_jobs(
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    status: Literal["queued", "running", "done", "dead"] | None = None,
) -> Page[JobRead]:
    """Jobs of the queue, newest first (system administrators only: jobs span tenants)."""
    user.require_role(Role.system_admin)
    rows, total = paginate(session, repository.list_jobs(session, status=status), pagination)
    return Page.of([JobRead.model_validate(j) for j in rows], total, pagination)


@router.get("/counts", responses=responses(NotAuthenticated, Forbidden))
def job_counts(session: DbSession, user: CurrentUser) -> dict[str, int]:
    """How many jobs are in each state."""
    user.require_role(Role.system_admin)
    return repository.counts(session)


@router.post("/{job_id}/retry", responses=responses(NotAuthenticated, Forbidden, NotFound))
def retry_job(job_id: int, session: DbSession, user: CurrentUser) -> JobRead:
    """Put a dead job back in the queue with a fresh attempt budget."""
    user.require_role(Role.system_admin)
    job = repository.retry(session, job_id)
    if job is None:
        raise NotFound("job not found")
    return JobRead.model_validate(job)
