"""Small builders for test data; every call makes fresh, uniquely named rows.

Tests share one database per backend, so they never rely on a table being empty: each test
builds its own tenant and people through :func:`make_world` or the builders below.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from argon2 import PasswordHasher, profiles
from sqlalchemy.orm import Session

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.security import issue_token, new_api_key
from akte.tenants.models import OrgUnit, Tenant
from akte.users.models import ApiKey, Membership, Role, User

PASSWORD = "correct-horse-battery"
#: The people the builders make carry an argon2 hash of ``PASSWORD`` made with argon2's
#: cheapest parameters. A login verifies a hash with the parameters written in it, so each
#: of the suite's logins costs about a millisecond instead of 110 ms; akte's own
#: ``hash_password`` (accounts made through the API, password changes) is unchanged.
_PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_tenant(session: Session, **overrides: object) -> Tenant:
    tenant = Tenant(**{"slug": unique("t"), "name": "Jobcenter Test", "options": {}, **overrides})
    session.add(tenant)
    session.flush()
    return tenant


def make_org_unit(session: Session, tenant: Tenant, **overrides: object) -> OrgUnit:
    unit = OrgUnit(**{"tenant_id": tenant.id, "code": unique("OE"), "name": "Team", **overrides})
    session.add(unit)
    session.flush()
    return unit


def make_user(
    session: Session,
    tenant: Tenant | None,
    role: Role,
    org_units: tuple[OrgUnit, ...] = (),
    **overrides: object,
) -> User:
    user = User(
        **{
            "tenant_id": tenant.id if tenant else None,
            "username": unique(role.value),
            "display_name": "Test Person",
            "role": role.value,
            "password_hash": _PASSWORD_HASH,
            **overrides,
        }
    )
    session.add(user)
    session.flush()
    for unit in org_units:
        session.add(Membership(user_id=user.id, org_unit_id=unit.id))
    session.flush()
    return user


def make_case_file(
    session: Session, tenant: Tenant, unit: OrgUnit, **overrides: object
) -> CaseFile:
    case_file = CaseFile(
        **{
            "tenant_id": tenant.id,
            "org_unit_id": unit.id,
            "aktenzeichen": unique("AZ"),
            **overrides,
        }
    )
    session.add(case_file)
    session.flush()
    return case_file


def bearer(ctx: AppContext, user: User) -> dict[str, str]:
    """Headers with a bearer token of ``user``; it lives a day of akte's clock, which a test
    may move forward by hours (session timeouts) while it still acts as an admin."""
    token = issue_token(ctx.settings.effective_secret_key, subject=str(user.id), ttl_seconds=86400)
    return {"Authorization": f"Bearer {token}"}


def api_key_headers(session: Session, user: User) -> dict[str, str]:
    key = new_api_key()
    session.add(ApiKey(user_id=user.id, prefix=key.prefix, key_hash=key.key_hash))
    session.flush()
    return {"Authorization": f"Bearer {key.plaintext}"}


@dataclass
class World:
    """Two tenants: A with org units 1 and 2, B with one; people in each role."""

    tenant_a: Tenant
    tenant_b: Tenant
    unit_a1: OrgUnit
    unit_a2: OrgUnit
    unit_b1: OrgUnit
    case_a1: CaseFile
    case_a2: CaseFile
    case_b1: CaseFile
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def make_world(ctx: AppContext) -> World:
    """``headers`` keys: caseworker_a1, caseworker_a2, caseworker_none, admin_a, caseworker_b,
    importer_a, provider_a, system_admin."""
    with session_scope(ctx.session_factory) as session:
        a, b = make_tenant(session), make_tenant(session)
        a1, a2, b1 = make_org_unit(session, a), make_org_unit(session, a), make_org_unit(session, b)
        world = World(
            a,
            b,
            a1,
            a2,
            b1,
            make_case_file(session, a, a1),
            make_case_file(session, a, a2),
            make_case_file(session, b, b1),
        )
        people = {
            "caseworker_a1": make_user(session, a, Role.caseworker, (a1,)),
            "caseworker_a2": make_user(session, a, Role.caseworker, (a2,)),
            "caseworker_none": make_user(session, a, Role.caseworker),
            "admin_a": make_user(session, a, Role.tenant_admin),
            "caseworker_b": make_user(session, b, Role.caseworker, (b1,)),
            "system_admin": make_user(session, None, Role.system_admin),
        }
        for name, user in people.items():
            world.users[name] = user
            world.headers[name] = bearer(ctx, user)
        for name, role in [("importer_a", Role.importer), ("provider_a", Role.print_provider)]:
            user = make_user(session, a, role, password_hash=None)
            world.users[name] = user
            world.headers[name] = api_key_headers(session, user)
    return world
