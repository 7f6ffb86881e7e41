"""Jobs of the portal: the citizen's notice that their papers were processed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from akte.core.context import AppContext
from akte.core.settings import Settings
from akte.jobs.periodic import periodic
from akte.web import notify


def _notify_interval(settings: Settings) -> timedelta | None:
    """Off without a mail server: there is nobody to write to."""
    if not notify.enabled(settings):
        return None
    return timedelta(seconds=settings.portal_notify_interval_seconds)


@periodic(notify.TASK, every=_notify_interval, start="next")
def send_notices(ctx: AppContext, payload: dict[str, Any]) -> None:
    notify.send_due(ctx)
