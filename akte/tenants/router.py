"""HTTP API of tenants and org units (administration)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from akte.auth.dependencies import CurrentUser
from akte.case_files.identifiers import PATTERN_SCHEMA
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.core.pagination import Page, Pagination, paginate
from akte.tenants import options, service
from akte.tenants.schemas import OrgUnitCreate, OrgUnitRead, TenantCreate, TenantRead

router = APIRouter(prefix="/api/v1/tenants", tags=["Administration"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.post("", status_code=status.HTTP_201_CREATED, responses={**COMMON, **responses(Conflict)})
def create_tenant(body: TenantCreate, session: DbSession, user: CurrentUser) -> TenantRead:
    """Create a Mandant (system administrators only)."""
    return TenantRead.model_validate(service.create_tenant(session, user, tenant_in=body))


@router.get("", responses=COMMON)
def list_tenants(session: DbSession, user: CurrentUser, pagination: Pagination) -> Page[TenantRead]:
    """All tenants for system administrators; a tenant admin sees their own."""
    rows, total = paginate(session, service.list_query(user), pagination)
    return Page.of([TenantRead.model_validate(t) for t in rows], total, pagination)


@router.post(
    "/{tenant_id}/org-units",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict)},
)
def create_org_unit(
    tenant_id: uuid.UUID, body: OrgUnitCreate, session: DbSession, user: CurrentUser
) -> OrgUnitRead:
    """Create an Organisationseinheit in a tenant."""
    return OrgUnitRead.model_validate(
        service.create_org_unit(session, user, tenant_id, org_unit_in=body)
    )


@router.get("/{tenant_id}/org-units", responses=COMMON)
def list_org_units(
    tenant_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[OrgUnitRead]:
    """Org units of a tenant (its admins and caseworkers)."""
    rows, total = paginate(session, service.org_units_query(session, user, tenant_id), pagination)
    return Page.of([OrgUnitRead.model_validate(u) for u in rows], total, pagination)


def _options_schema() -> dict[str, Any]:
    """The published body of an options change: the known names, each with its type,
    ``null`` to remove it; other names are refused (``additionalProperties: false``)."""
    kinds = {
        "bool": {"type": "boolean"},
        "int": {"type": "integer"},
        "str": {"type": "string", "pattern": r"\S"},
        "list[str]": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "dict[str,str]": {
            "type": "object",
            "propertyNames": {"minLength": 1},
            "additionalProperties": {"type": "string", "pattern": "^[A-Za-z0-9+/]{43}=$"},
        },
    }
    from ingest.ocr import installed_languages

    special = {
        "ocr_languages": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": sorted(installed_languages())},
        },  # what is installed here
        "xdomea_version": {"type": "string", "enum": list(options.XDOMEA_VERSIONS)},
        **{
            name: {"type": "integer", "minimum": low, "maximum": high}
            for name, (low, high) in options.INT_RANGES.items()
        },
        "second_factor": {"type": "string", "enum": list(options.SECOND_FACTOR)},
        "directory_second_factor": {"type": "string", "enum": list(options.SECOND_FACTOR)},
        "search_synonyms": {
            "type": "array",
            "items": {
                "type": "string",
                "maxLength": 500,
                "pattern": "^" + options.SYNONYM_GROUP.pattern + "$",
            },
        },
        "aktenzeichen_pattern": {"type": "string", "pattern": PATTERN_SCHEMA},
        **{
            name: {"type": "string", "pattern": r"\S", "maxLength": options.PORTAL_TEXT_MAX}
            for name in options.KNOWN
            if name.startswith("portal_") and options.KNOWN[name].type == "str"
        },
        "portal_forms": {
            "type": "array",
            "items": {"type": "string", "enum": list(options.PORTAL_FORMS)},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {
                "anyOf": [special.get(name, kinds[option.type]), {"type": "null"}],
                "description": option.description,
            }
            for name, option in options.KNOWN.items()
        },
    }


OPTIONS_BODY = {"requestBody": {"content": {"application/json": {"schema": _options_schema()}}}}


def _options_tenant(session: DbSession, user: CurrentUser, tenant_id: uuid.UUID | None):
    from akte.tenants.models import Tenant

    wanted = tenant_id or user.tenant_id
    # a system admin has no tenant of their own: nothing to look up ("current" is none)
    tenant = session.get(Tenant, wanted) if wanted is not None else None
    if tenant is None or (user.tenant_id is not None and tenant.id != user.tenant_id):
        raise NotFound("tenant not found")
    return tenant


@router.get("/current/options", responses=COMMON)
def read_own_options(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """The caller's tenant's options (importers see what decides their imports)."""
    return options.read(session, user, _options_tenant(session, user, None))


@router.patch(
    "/current/options",
    responses={**COMMON, **responses(Conflict, Unprocessable)},
    openapi_extra=OPTIONS_BODY,
)
def update_own_options(
    body: dict[str, Any], session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """Set options of the caller's tenant (tenant admins); ``null`` removes one."""
    return options.update(session, user, _options_tenant(session, user, None), body)


@router.get("/{tenant_id}/options", responses=COMMON)
def read_options(tenant_id: uuid.UUID, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """A tenant's options, every known one with its value (``null``: not set)."""
    return options.read(session, user, _options_tenant(session, user, tenant_id))


@router.patch(
    "/{tenant_id}/options",
    responses={**COMMON, **responses(Conflict, Unprocessable)},
    openapi_extra=OPTIONS_BODY,
)
def update_options(
    tenant_id: uuid.UUID, body: dict[str, Any], session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """Set a tenant's options (its admins, system admins): unknown names and bad values
    are 422, an ``import_org_unit`` code the tenant does not have is 404; an
    ``aktenzeichen_pattern`` that would merge two Akten is 409."""
    return options.update(session, user, _options_tenant(session, user, tenant_id), body)
