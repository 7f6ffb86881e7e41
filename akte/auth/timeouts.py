"""Idle and absolute session timeouts per tenant (options ``session_idle_minutes`` and
``session_max_hours``), for home-office access to social data that must not stay open.

Browser sessions are checked at every request (:func:`akte.web.deps.get_staff`): a session
unused for longer than the idle time, or older than the absolute limit, is ended there, with
the provider's refresh token bound to it (:class:`akte.identity.models.DirectorySession`),
so a directory session cannot be kept alive by refreshing at the provider either; the end is
audited (``web.session_timeout``). Bearer tokens (password, LDAP) are issued for no longer
than the absolute limit. Both read :func:`akte.core.database.utcnow`, i.e. the controllable
clock; signed bearer tokens read the system's time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from akte.tenants.models import Tenant


@dataclass(frozen=True)
class Limits:
    idle: timedelta | None = None
    absolute: timedelta | None = None


def limits(session: Session, tenant_id: uuid.UUID | None) -> Limits:
    """The tenant's timeouts; none for system admins (no tenant) or unset options."""
    tenant = session.get(Tenant, tenant_id) if tenant_id is not None else None
    options = (tenant.options or {}) if tenant else {}
    idle, hours = options.get("session_idle_minutes"), options.get("session_max_hours")
    return Limits(
        idle=timedelta(minutes=idle) if isinstance(idle, int) else None,
        absolute=timedelta(hours=hours) if isinstance(hours, int) else None,
    )


def timed_out(
    found: Limits, *, created_at: datetime, last_used_at: datetime | None, now: datetime
) -> str | None:
    """``"idle"`` or ``"absolute"`` when a session started at ``created_at`` and last used
    at ``last_used_at`` has to end now; ``None`` while it may go on."""
    if found.absolute is not None and now - created_at >= found.absolute:
        return "absolute"
    if found.idle is not None and now - (last_used_at or created_at) >= found.idle:
        return "idle"
    return None


def seconds_left(
    found: Limits, *, created_at: datetime, last_used_at: datetime | None, now: datetime
) -> tuple[int | None, int | None]:
    """Seconds until the idle and until the absolute limit ends the session (``None``
    where the tenant sets none), for the page that warns before it happens."""
    idle = (
        int(((last_used_at or created_at) + found.idle - now).total_seconds())
        if found.idle is not None
        else None
    )
    absolute = (
        int((created_at + found.absolute - now).total_seconds())
        if found.absolute is not None
        else None
    )
    return (max(idle, 0) if idle is not None else None), (
        max(absolute, 0) if absolute is not None else None
    )


def token_ttl(session: Session, tenant_id: uuid.UUID | None, default_seconds: int) -> int:
    """A bearer token's lifetime: the configured one, capped at the absolute limit."""
    absolute = limits(session, tenant_id).absolute
    if absolute is None:
        return default_seconds
    return min(default_seconds, int(absolute.total_seconds()))
