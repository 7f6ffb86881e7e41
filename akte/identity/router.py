"""``/api/v1/identity-providers``: a tenant's directories, their group mappings, and bearer
tokens for directory (LDAP) accounts."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from fastapi import APIRouter, Form, Request, Response, status

from akte.auth import timeouts
from akte.auth.dependencies import CurrentUser
from akte.auth.router import Token, TokenRequest
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import (
    AkteError,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    responses,
)
from akte.core.pagination import Page, Pagination, paginate
from akte.core.security import issue_token
from akte.identity import account_router, repository, service, sign_in
from akte.identity.errors import NoMappedGroup
from akte.identity.models import GroupMapping, ServiceClient
from akte.identity.schemas import (
    MappedRole,
    MappingRead,
    MappingsPut,
    MappingsRead,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    ServiceClientCreate,
    ServiceClientRead,
)

router = APIRouter(prefix="/api/v1/identity-providers", tags=["Anmeldung"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


def _mappings(rows: list[GroupMapping], changed: int = 0) -> MappingsRead:
    return MappingsRead(
        mappings=[
            MappingRead(
                id=m.id,
                group=m.group,
                role=cast("MappedRole | None", m.role),  # pydantic checks the value itself
                org_unit_id=m.org_unit_id,
            )
            for m in rows
        ],
        accounts_changed=changed,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict, Unprocessable)},
)
def create_provider(body: ProviderCreate, session: DbSession, user: CurrentUser) -> ProviderRead:
    """Register an OpenID Provider or LDAP server for a tenant (its admins, system admins).
    The OIDC client is registered at the provider with the redirect URI
    ``<AKTE_PUBLIC_URL>/sso/callback``."""
    return service.to_read(service.create(session, user, provider_in=body))


@router.get("", responses=COMMON)
def list_providers(
    session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[ProviderRead]:
    """The providers the caller administers."""
    user.require_role(*service.ADMIN_ROLES)
    rows, total = paginate(session, repository.administered_statement(user), pagination)
    return Page.of([service.to_read(p) for p in rows], total, pagination)


@router.get("/{provider_id}", responses=COMMON)
def read_provider(provider_id: uuid.UUID, session: DbSession, user: CurrentUser) -> ProviderRead:
    return service.to_read(service.get_administered(session, user, provider_id))


@router.patch("/{provider_id}", responses={**COMMON, **responses(Conflict, Unprocessable)})
def update_provider(
    provider_id: uuid.UUID, body: ProviderUpdate, session: DbSession, user: CurrentUser
) -> ProviderRead:
    """Change name, settings or secret, or switch the provider off (no new logins)."""
    return service.to_read(service.update(session, user, provider_id, provider_in=body))


@router.get("/{provider_id}/mappings", responses=COMMON)
def read_mappings(provider_id: uuid.UUID, session: DbSession, user: CurrentUser) -> MappingsRead:
    return _mappings(service.mappings(session, user, provider_id))


@router.put("/{provider_id}/mappings", responses={**COMMON, **responses(Unprocessable)})
def replace_mappings(
    provider_id: uuid.UUID, body: MappingsPut, session: DbSession, user: CurrentUser
) -> MappingsRead:
    """Replace the group mapping. It is applied at once to every account that signed in
    through this provider (from the groups of its last login): who no longer matches loses
    the role or org unit at their next request; every change is audited."""
    rows, changed = service.replace_mappings(session, user, provider_id, mappings_in=body)
    return _mappings(rows, changed)


def _client(row: ServiceClient) -> ServiceClientRead:
    return ServiceClientRead(id=row.id, client_id=row.client_id, user_id=row.user_id)


@router.get("/{provider_id}/service-clients", responses=COMMON)
def list_service_clients(
    provider_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> list[ServiceClientRead]:
    """The provider's OAuth clients that act as service accounts."""
    return [_client(r) for r in service.service_clients(session, user, provider_id)]


@router.post(
    "/{provider_id}/service-clients",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict)},
)
def add_service_client(
    provider_id: uuid.UUID, body: ServiceClientCreate, session: DbSession, user: CurrentUser
) -> ServiceClientRead:
    """Let an OAuth client of the provider act as a service account (client credentials):
    an access token the provider issues to ``client_id`` for the provider's
    ``api_audience`` is then that account's bearer token. Use a client for this only."""
    return _client(service.add_service_client(session, user, provider_id, client_in=body))


@router.delete(
    "/{provider_id}/service-clients/{service_client_id}",
    status_code=204,
    responses=COMMON,
    response_class=Response,
)
def remove_service_client(
    provider_id: uuid.UUID, service_client_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Response:
    service.remove_service_client(session, user, provider_id, service_client_id)
    return Response(status_code=204)


@router.post(
    "/{provider_id}/token",
    responses={
        **responses(NotAuthenticated, NoMappedGroup, NotFound, TooManyRequests, ServiceUnavailable)
    },
)
def ldap_token(
    provider_id: uuid.UUID,
    form: Annotated[TokenRequest, Form()],
    request: Request,
    session: DbSession,
    ctx: Context,
) -> Token:
    """A bearer token for a directory account (LDAP providers): username and password are
    checked by a bind at the directory; the group mapping is applied as at a web login."""
    provider = sign_in.provider_for_login(session, provider_id, "ldap")
    try:
        account = sign_in.ldap_sign_in(
            session,
            provider,
            username=form.username,
            password=form.password,
            ip=client_ip(request),
            channel="api",
        )
    except AkteError:
        session.commit()  # the audit entry and the throttle count outlive the refusal
        raise
    ttl = timeouts.token_ttl(session, account.tenant_id, ctx.settings.token_ttl_seconds)
    token = issue_token(
        ctx.settings.effective_secret_key,
        subject=str(account.id),
        ttl_seconds=ttl,
        generation=account.token_generation,
    )
    return Token(access_token=token, expires_in=ttl)


# The feature's one ``router``: the providers' routes and the account routes (second
# factor, sessions), which live under other prefixes.
_providers = router
router = APIRouter()
router.include_router(_providers)
router.include_router(account_router.router)
