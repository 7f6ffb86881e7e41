"""Administering a tenant's identity providers and group mappings (tenant admins, system
admins). A changed mapping is applied at once to every account linked to the provider,
from the groups of its last login, so nobody keeps access the mapping no longer gives
beyond their next request."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.errors import Conflict, NotFound
from akte.identity import mapping, repository
from akte.identity.models import GroupMapping, IdentityProvider, ServiceClient
from akte.identity.schemas import (
    Kind,
    MappingsPut,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    ServiceClientCreate,
    config_model,
)
from akte.tenants import service as tenants
from akte.tenants.models import OrgUnit
from akte.users.models import SERVICE_ROLES, Role, User

RECONCILE_BATCH = 500
ADMIN_ROLES = (Role.system_admin, Role.tenant_admin)


def to_read(provider: IdentityProvider) -> ProviderRead:
    return ProviderRead(
        id=provider.id,
        tenant_id=provider.tenant_id,
        slug=provider.slug,
        name=provider.name,
        kind=cast("Kind", provider.kind),  # pydantic checks the value itself
        enabled=provider.enabled,
        config=provider.config,
        has_client_secret=bool(provider.client_secret),
        login_path=f"/sso/{provider.id}",
    )


def get_administered(
    session: Session, principal: Principal, provider_id: uuid.UUID
) -> IdentityProvider:
    principal.require_role(*ADMIN_ROLES)
    provider = session.scalar(
        repository.administered_statement(principal).where(IdentityProvider.id == provider_id)
    )
    if provider is None:
        raise NotFound("identity provider not found")
    return provider


def create(
    session: Session, principal: Principal, *, provider_in: ProviderCreate
) -> IdentityProvider:
    tenant_id = provider_in.tenant_id or principal.tenant_id
    if tenant_id is None:
        # left out, tenant_id means the caller's own tenant, and a system admin has none
        raise NotFound(
            "a system administrator has no tenant of their own: name one (tenant_id)",
            code="tenant_required",
        )
    tenants.get_administered(session, principal, tenant_id)
    taken = session.scalar(
        select(IdentityProvider.id).where(
            IdentityProvider.tenant_id == tenant_id, IdentityProvider.slug == provider_in.slug
        )
    )
    if taken:
        raise Conflict(f"the tenant already has a provider {provider_in.slug!r}")
    provider = IdentityProvider(
        tenant_id=tenant_id,
        slug=provider_in.slug,
        name=provider_in.name,
        kind=provider_in.kind,
        enabled=provider_in.enabled,
        config=provider_in.config.model_dump(),
        client_secret=provider_in.client_secret,
    )
    session.add(provider)
    session.flush()
    audit.record(
        session,
        principal,
        "identity.provider_create",
        object_type="identity_provider",
        object_id=provider.id,
        tenant_id=tenant_id,
        detail={"kind": provider.kind, "slug": provider.slug},
    )
    return provider


def update(
    session: Session, principal: Principal, provider_id: uuid.UUID, *, provider_in: ProviderUpdate
) -> IdentityProvider:
    provider = get_administered(session, principal, provider_id)
    changed = provider_in.model_dump(exclude_unset=True)
    if "config" in changed:
        if not isinstance(provider_in.config, config_model(provider.kind)):
            raise Conflict(
                f"this is an {provider.kind} provider: config takes its {provider.kind} settings",
                code="config_kind_mismatch",
            )
        provider.config = provider_in.config.model_dump()  # defaults filled in
    if changed.get("name") is not None:
        provider.name = changed["name"]
    if changed.get("enabled") is not None:
        provider.enabled = changed["enabled"]
    if changed.get("client_secret"):
        provider.client_secret = changed["client_secret"]
    session.flush()
    audit.record(
        session,
        principal,
        "identity.provider_update",
        object_type="identity_provider",
        object_id=provider.id,
        tenant_id=provider.tenant_id,
        detail={"changed": sorted(changed)},
    )  # never the secret itself
    return provider


def mappings(session: Session, principal: Principal, provider_id: uuid.UUID) -> list[GroupMapping]:
    provider = get_administered(session, principal, provider_id)
    return list(mapping.mappings_of(session, provider.id))


def replace_mappings(
    session: Session, principal: Principal, provider_id: uuid.UUID, *, mappings_in: MappingsPut
) -> tuple[list[GroupMapping], int]:
    """Set the provider's mapping and apply it to every linked account; returns the new
    mapping and how many accounts changed."""
    provider = get_administered(session, principal, provider_id)
    unit_ids = {m.org_unit_id for m in mappings_in.mappings if m.org_unit_id}
    if unit_ids:
        known = set(
            session.scalars(
                select(OrgUnit.id).where(
                    OrgUnit.id.in_(unit_ids), OrgUnit.tenant_id == provider.tenant_id
                )
            )
        )
        if unknown := unit_ids - known:
            raise NotFound(
                f"no such org unit in this tenant: {sorted(map(str, unknown))}",
                code="unknown_org_unit",
            )
    before = [_plain(m) for m in mapping.mappings_of(session, provider.id)]
    session.execute(delete(GroupMapping).where(GroupMapping.provider_id == provider.id))
    rows = [
        GroupMapping(provider_id=provider.id, group=m.group, role=m.role, org_unit_id=m.org_unit_id)
        for m in mappings_in.mappings
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        principal,
        "identity.mapping_change",
        object_type="identity_provider",
        object_id=provider.id,
        tenant_id=provider.tenant_id,
        detail={"before": before, "after": [_plain(m) for m in rows]},
    )
    return rows, reapply(session, principal, provider)


def reapply(session: Session, principal: Principal | None, provider: IdentityProvider) -> int:
    """Apply the provider's current mapping to its linked accounts, a batch at a time."""
    rules = mapping.mappings_of(session, provider.id)
    changed, after = 0, None
    while batch := repository.links_after(session, provider.id, after, RECONCILE_BATCH):
        for link in batch:
            user = session.get(User, link.user_id)
            if user is None:
                continue
            changes = mapping.apply(session, user, mapping.resolve(rules, link.groups or []))
            if changes:
                changed += 1
                audit.record(
                    session,
                    principal,
                    "identity.access_changed",
                    object_type="user",
                    object_id=user.id,
                    tenant_id=provider.tenant_id,
                    detail={"provider_id": str(provider.id), "at": "mapping_change", **changes},
                )
        after = batch[-1].id
    return changed


def _plain(m: GroupMapping) -> dict[str, Any]:
    return {
        "group": m.group,
        "role": m.role,
        "org_unit_id": str(m.org_unit_id) if m.org_unit_id else None,
    }


def service_clients(
    session: Session, principal: Principal, provider_id: uuid.UUID
) -> list[ServiceClient]:
    provider = get_administered(session, principal, provider_id)
    return list(
        session.scalars(
            select(ServiceClient)
            .where(ServiceClient.provider_id == provider.id)
            .order_by(ServiceClient.client_id)
        )
    )


def add_service_client(
    session: Session,
    principal: Principal,
    provider_id: uuid.UUID,
    *,
    client_in: ServiceClientCreate,
) -> ServiceClient:
    """Let the provider's ``client_id`` act as a service account of the provider's tenant:
    its access tokens are that account's bearer tokens from now on (audited)."""
    provider = get_administered(session, principal, provider_id)
    if provider.kind != "oidc":
        raise Conflict("service clients need an OpenID Connect provider", code="not_oidc")
    account = session.get(User, client_in.user_id)
    if account is None or account.tenant_id != provider.tenant_id:
        raise NotFound("no such account in the provider's tenant", code="user_not_found")
    if Role(account.role) not in SERVICE_ROLES:
        raise Conflict(
            "only a service account (importer, print provider) can be a client",
            code="not_a_service_account",
        )
    taken = session.scalar(
        select(ServiceClient.id).where(
            ServiceClient.provider_id == provider.id, ServiceClient.client_id == client_in.client_id
        )
    )
    if taken:
        raise Conflict(
            f"the client {client_in.client_id!r} already acts as a service account",
            code="duplicate_client",
        )
    row = ServiceClient(provider_id=provider.id, client_id=client_in.client_id, user_id=account.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "identity.service_client_add",
        object_type="identity_provider",
        object_id=provider.id,
        tenant_id=provider.tenant_id,
        detail={"client_id": row.client_id, "user_id": str(account.id)},
    )
    return row


def remove_service_client(
    session: Session, principal: Principal, provider_id: uuid.UUID, service_client_id: uuid.UUID
) -> None:
    """The client's tokens stop counting at once."""
    provider = get_administered(session, principal, provider_id)
    row = session.get(ServiceClient, service_client_id)
    if row is None or row.provider_id != provider.id:
        raise NotFound("no such service client of this provider")
    session.delete(row)
    session.flush()
    audit.record(
        session,
        principal,
        "identity.service_client_remove",
        object_type="identity_provider",
        object_id=provider.id,
        tenant_id=provider.tenant_id,
        detail={"client_id": row.client_id, "user_id": str(row.user_id)},
    )
