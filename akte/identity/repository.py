"""Every ``select()`` of identity providers: what a principal may administer, and what the
login page may offer to anyone."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.identity.models import ExternalIdentity, IdentityProvider
from akte.tenants.models import Tenant
from akte.users.models import Role


def administered_statement(principal: Principal) -> Select[IdentityProvider]:
    """Providers the caller administers: all for system admins, their tenant's for tenant
    admins, none for anyone else."""
    stmt = select(IdentityProvider).order_by(IdentityProvider.slug, IdentityProvider.id)
    if principal.role is Role.system_admin:
        return stmt
    if principal.role is Role.tenant_admin and principal.tenant_id is not None:
        return stmt.where(IdentityProvider.tenant_id == principal.tenant_id)
    return stmt.where(false())


def enabled(session: Session, provider_id: uuid.UUID) -> IdentityProvider | None:
    """A provider anyone may start a login with (enabled), or ``None``."""
    provider = session.get(IdentityProvider, provider_id)
    return provider if provider is not None and provider.enabled else None


def login_choices(session: Session, limit: int = 50) -> list[tuple[IdentityProvider, str]]:
    """Enabled providers with their tenant's name, for the login page."""
    rows = session.execute(
        select(IdentityProvider, Tenant.name)
        .join(Tenant, Tenant.id == IdentityProvider.tenant_id)
        .where(IdentityProvider.enabled.is_(True))
        .order_by(Tenant.name, IdentityProvider.name)
        .limit(limit)
    )
    return [(provider, tenant_name) for provider, tenant_name in rows]


def links_after(
    session: Session, provider_id: uuid.UUID, after: uuid.UUID | None, batch: int
) -> list[ExternalIdentity]:
    """One keyset page of a provider's linked accounts (for re-applying a mapping)."""
    stmt = select(ExternalIdentity).where(ExternalIdentity.provider_id == provider_id)
    if after is not None:
        stmt = stmt.where(ExternalIdentity.id > after)
    return list(session.scalars(stmt.order_by(ExternalIdentity.id).limit(batch)))
