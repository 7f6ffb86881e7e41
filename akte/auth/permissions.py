"""The permission model for case data: what access lent by a grant or a deputy period allows.

There are two ways to reach an Akte:

* **own** it: a *permanent* membership (``valid_until`` empty) in the org unit the Akte
  belongs to *now*;
* **borrow** it: a single-Akte grant to one of the caller's org units, or a time-limited
  (deputy, Vertretung) membership in the Akte's org unit. Borrowed access ends by itself.

Borrowed access lends the daily work on an Akte, never the Akte itself:

================================  =======  ========
action                            borrow   own
================================  =======  ========
read: open, list, search,         yes      yes
download, read texts, letters
annotate: document title,         yes      yes
Dokumentart, date; open or rename
a Vorgang, put a document into
one; write Aktenvermerke; set,
postpone, complete Wiedervorlagen
file: upload a document into      yes      yes
it, file or reject Posteingang
items, write or cancel a letter
change the Akte's metadata        no       yes
move to another org unit          no       yes, and permanent membership of the target
close or reopen (the Akte or      no       yes
one of its Vorgänge)
move a document into another      no       yes, and filing rights in the target
Akte (misfiling)
delete a document early           no       yes (tenant admins: retention, see below)
add a version to a document       no       yes
issue or revoke upload codes      no       yes
redact (a Schwärzung: a new       no       yes
rendition of a document)
export (Akteneinsicht,            no       yes
Aktenübersendung, xdomea)
================================  =======  ========

Why: everything a borrower could do with "own" actions outlives the loan. Moving the Akte
to a unit they hold permanently keeps it after the grant is revoked (and takes it from
the owning unit); closing it, deleting or replacing what it contains and handing out
upload codes cannot be undone by the end of the loan. Grants are managed by tenant
admins (``akte.grants``), never by members.

A caller who may read an Akte but not do an "own" action gets 403 ``lent_access``; one
who may not read it gets 404 (it does not exist for them).
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ColumnElement, and_, false, or_, select

from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.core.errors import Forbidden
from akte.users.models import Membership, Role
from search.backend import Scope

#: Roles that read case data at all (through memberships or grants).
CASE_ROLES = (Role.caseworker, Role.tenant_admin)
#: The tenant of a search scope that matches nothing (callers without a tenant).
NO_TENANT = uuid.UUID(int=0)


class Action(enum.StrEnum):
    read = "read"
    annotate = "annotate"
    file = "file"
    change = "change"
    move = "move"
    close = "close"
    delete_document = "delete_document"
    version_document = "version_document"
    manage_upload_codes = "manage_upload_codes"
    #: Schwärzung and letting the Akte out: decisions of the unit responsible for it.
    redact = "redact"
    export = "export"


#: What borrowed access (grant, deputy membership) allows; everything else needs ownership.
LENT: frozenset[Action] = frozenset({Action.read, Action.annotate, Action.file})


def is_lent(action: Action) -> bool:
    return action in LENT


def lent_access_refused(action: Action) -> Forbidden:
    """The 403 for a borrower (grant or deputy) who tries an action that needs ownership."""
    return Forbidden(
        f"access to this Akte is lent (grant or deputy): {action.value} needs a permanent "
        "membership of its org unit",
        code="lent_access",
    )


def readable_case_file_clause(principal: Principal) -> ColumnElement[bool]:
    """Akten the caller reads: own tenant, an active membership (permanent or deputy) in the
    Akte's org unit, or an unexpired grant on the Akte."""
    if principal.role not in CASE_ROLES or principal.tenant_id is None:
        return false()
    visible: ColumnElement[bool] = CaseFile.org_unit_id.in_(sorted(principal.org_unit_ids))
    if principal.granted_case_file_ids:
        visible = or_(visible, CaseFile.id.in_(sorted(principal.granted_case_file_ids)))
    return and_(CaseFile.tenant_id == principal.tenant_id, visible)


def owned_org_units(principal: Principal):  # type: ignore[no-untyped-def]
    """Subquery: the org units the caller holds a permanent membership in."""
    return select(Membership.org_unit_id).where(
        Membership.user_id == principal.user_id, Membership.valid_until.is_(None)
    )


def owned_case_file_clause(principal: Principal) -> ColumnElement[bool]:
    """Akten the caller owns: own tenant and a permanent membership of the current unit.
    Deputy memberships and grants never count (they lend)."""
    if principal.role not in CASE_ROLES or principal.tenant_id is None:
        return false()
    return and_(
        CaseFile.tenant_id == principal.tenant_id,
        CaseFile.org_unit_id.in_(sorted(principal.org_unit_ids)),
        CaseFile.org_unit_id.in_(owned_org_units(principal)),
    )


def readable_search_scope(principal: Principal) -> Scope:
    """What the index may match for the caller: the same rule as
    :func:`readable_case_file_clause` (own tenant; org units with an active membership,
    permanent or deputy; Akten granted to one of them), in the terms the search engines
    filter by. An empty scope (no role for case data) matches nothing."""
    if principal.role not in CASE_ROLES or principal.tenant_id is None:
        return Scope(principal.tenant_id or NO_TENANT, frozenset())
    return Scope(
        principal.tenant_id,
        frozenset(principal.org_unit_ids),
        frozenset(principal.granted_case_file_ids),
    )
