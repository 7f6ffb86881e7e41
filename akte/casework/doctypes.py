"""Each tenant's list of Dokumentarten, with the words that give each away.

The tenant admin maintains it (``PUT /api/v1/dokumentarten`` replaces the list, in order,
each entry with its keywords); every case role of the tenant reads it. A tenant that never
set one (or set an empty one) uses :data:`DEFAULT_DOKUMENTARTEN`. The Posteingang offers
the list, pre-selects the Dokumentart whose keyword occurs in the title or the recognised
text (:func:`suggest`: the longest matching keyword wins, so "Weiterbewilligungsantrag"
is not taken for an "Antrag"), and filing accepts only a listed name (422
``unknown_dokumentart``, compared without regard to case, stored as listed). Documents
keep a Dokumentart later taken off the list; imports and the document API keep theirs.

Errors: ``Forbidden`` (reading: roles without case work; changing: anyone but the tenant's
admin), ``Unprocessable`` (``unknown_dokumentart``), ``Conflict`` (``duplicate_dokumentart``: names are
compared without case).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import CASE_ROLES
from akte.auth.principal import Principal
from akte.casework.models import Dokumentart
from akte.casework.tenant_lists import check_names
from akte.core.errors import Forbidden, Unprocessable
from akte.users.models import Role


@dataclass(frozen=True)
class Entry:
    name: str
    keywords: tuple[str, ...] = ()


DEFAULT_DOKUMENTARTEN = [
    Entry("Antrag", ("antrag",)),
    Entry("Weiterbewilligungsantrag", ("weiterbewilligung",)),
    Entry("Einkommensnachweis", ()),
    Entry("Lohnabrechnung", ("lohnabrechnung", "entgeltabrechnung", "gehaltsabrechnung")),
    Entry("Kontoauszug", ("kontoauszug",)),
    Entry("Mietvertrag", ("mietvertrag",)),
    Entry("Nebenkostenabrechnung", ("nebenkosten", "betriebskosten")),
    Entry("Bescheid", ("bescheid",)),
    Entry("Widerspruch", ("widerspruch",)),
    Entry("Ärztliche Bescheinigung", ("arbeitsunfähigkeit",)),
    Entry("Ausweisdokument", ("personalausweis", "reisepass")),
    Entry("Schriftverkehr", ()),
    Entry("Sonstiges", ()),
]


def _tenant(principal: Principal) -> uuid.UUID:
    if principal.tenant_id is None:
        raise Forbidden("Dokumentarten gehören zu einem Mandanten", code="forbidden")
    return principal.tenant_id


def entries(session: Session, tenant_id: uuid.UUID) -> list[Entry]:
    rows = list(
        session.scalars(
            select(Dokumentart)
            .where(Dokumentart.tenant_id == tenant_id)
            .order_by(Dokumentart.position, Dokumentart.name)
        )
    )
    if not rows:
        return list(DEFAULT_DOKUMENTARTEN)
    return [Entry(r.name, tuple(r.keywords or ())) for r in rows]


def names(session: Session, tenant_id: uuid.UUID) -> list[str]:
    return [e.name for e in entries(session, tenant_id)]


def suggest(listed: list[Entry], *texts: str | None) -> str | None:
    """The Dokumentart whose keyword occurs in the texts; the longest keyword wins."""
    haystack = " ".join(t for t in texts if t).lower()
    found = [
        (len(k), -i, e.name)
        for i, e in enumerate(listed)
        for k in e.keywords
        if k and k in haystack
    ]
    return max(found)[2] if found else None


def read(session: Session, principal: Principal) -> list[Entry]:
    principal.require_role(*CASE_ROLES)
    return entries(session, _tenant(principal))


def replace(session: Session, principal: Principal, new: list[Entry]) -> list[Entry]:
    """Replace the tenant's list (tenant admin only); audited with before and after."""
    principal.require_role(Role.tenant_admin)
    tenant_id = _tenant(principal)
    cleaned = [
        Entry(
            e.name.strip(), tuple(dict.fromkeys(k.strip().lower() for k in e.keywords if k.strip()))
        )
        for e in new
    ]
    check_names((e.name for e in cleaned), "Dokumentart", "dokumentart")
    before = names(session, tenant_id)
    session.execute(delete(Dokumentart).where(Dokumentart.tenant_id == tenant_id))
    session.add_all(
        Dokumentart(tenant_id=tenant_id, name=e.name, keywords=list(e.keywords), position=i)
        for i, e in enumerate(cleaned)
    )
    session.flush()
    audit.record(
        session,
        principal,
        "dokumentart.replace",
        object_type="tenant",
        object_id=tenant_id,
        detail={"before": before, "after": [e.name for e in cleaned]},
    )
    return entries(session, tenant_id)


def validated(session: Session, tenant_id: uuid.UUID, doc_type: str) -> str:
    """``doc_type`` as the tenant's list spells it (422 if it is not listed)."""
    allowed = names(session, tenant_id)
    found = next((n for n in allowed if n.casefold() == doc_type.strip().casefold()), None)
    if found is None:
        raise Unprocessable(
            f"Dokumentart „{doc_type.strip()}“ ist nicht in der Liste des Mandanten",
            code="unknown_dokumentart",
        )
    return found
