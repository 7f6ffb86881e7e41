"""Jobs of ``records``."""

from __future__ import annotations

import uuid
from typing import Any

from akte.core.context import AppContext
from akte.jobs.registry import task
from records import build
from records.exports import BUILD_TASK


@task(BUILD_TASK)
def build_export(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Build one export's PDF and package (idempotent: a finished export is left alone)."""
    build.run(ctx, uuid.UUID(payload["export_id"]))
