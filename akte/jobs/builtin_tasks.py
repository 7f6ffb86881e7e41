"""Tasks of the core itself."""

from __future__ import annotations

from typing import Any

from akte.audit import service as audit_service
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.registry import task


@task("audit.seal")
def seal_audit_log(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Chain newly committed audit entries (idempotent: sealed entries are skipped)."""
    with session_scope(ctx.session_factory) as session:
        audit_service.seal(session)
