"""Each tenant's list of Vorgangsarten ("Weiterbewilligung", "Widerspruch" …).

The tenant admin maintains the list (``PUT /api/v1/vorgangsarten`` replaces it, in the
order given); every case role of the tenant reads it, and the Akte page offers it. A
tenant that never set one (or set an empty one) uses :data:`DEFAULT_VORGANGSARTEN`. Opening a Vorgang, or giving
one another kind, accepts only a name of the list (422 ``unknown_vorgangsart``), compared
without regard to case and surrounding blanks and stored as the list spells it. A name
later taken off the list stays on the Vorgänge that carry it: renaming such a Vorgang does
not force a new kind.

Errors: ``Forbidden`` (reading: roles without case work; changing: anyone but the tenant's
admin), ``Unprocessable`` (``unknown_vorgangsart``), ``Conflict`` (``duplicate_vorgangsart``: names are
compared without case).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import CASE_ROLES
from akte.auth.principal import Principal
from akte.casework.models import Vorgangsart
from akte.casework.tenant_lists import check_names
from akte.core.errors import Forbidden, Unprocessable
from akte.users.models import Role

DEFAULT_VORGANGSARTEN = [
    "Erstantrag",
    "Weiterbewilligung",
    "Änderung",
    "Widerspruch",
    "Klage",
    "Mitwirkung",
    "Erstattung",
    "Sanktion",
]


def _tenant(principal: Principal) -> uuid.UUID:
    if principal.tenant_id is None:
        raise Forbidden("Vorgangsarten gehören zu einem Mandanten", code="forbidden")
    return principal.tenant_id


def names(session: Session, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's list in its order (the defaults when it has none)."""
    rows = list(
        session.scalars(
            select(Vorgangsart.name)
            .where(Vorgangsart.tenant_id == tenant_id)
            .order_by(Vorgangsart.position, Vorgangsart.name)
        )
    )
    return rows or list(DEFAULT_VORGANGSARTEN)


def read(session: Session, principal: Principal) -> list[str]:
    principal.require_role(*CASE_ROLES)
    return names(session, _tenant(principal))


def replace(session: Session, principal: Principal, new: list[str]) -> list[str]:
    """Replace the tenant's list (tenant admin only); audited with before and after."""
    principal.require_role(Role.tenant_admin)
    tenant_id = _tenant(principal)
    cleaned = [n.strip() for n in new]
    check_names(cleaned, "Vorgangsart", "vorgangsart")
    before = names(session, tenant_id)
    session.execute(delete(Vorgangsart).where(Vorgangsart.tenant_id == tenant_id))
    session.add_all(
        Vorgangsart(tenant_id=tenant_id, name=name, position=i) for i, name in enumerate(cleaned)
    )
    session.flush()
    audit.record(
        session,
        principal,
        "vorgangsart.replace",
        object_type="tenant",
        object_id=tenant_id,
        detail={"before": before, "after": cleaned},
    )
    return names(session, tenant_id)


def validated(session: Session, tenant_id: uuid.UUID, kind: str | None) -> str | None:
    """``kind`` as the tenant's list spells it; ``None``/blank stays without a kind."""
    if kind is None or not kind.strip():
        return None
    allowed = names(session, tenant_id)
    found = next((n for n in allowed if n.casefold() == kind.strip().casefold()), None)
    if found is None:
        raise Unprocessable(
            f"Vorgangsart „{kind.strip()}“ ist nicht in der Liste des "
            f"Mandanten ({', '.join(allowed)})",
            code="unknown_vorgangsart",
        )
    return found
