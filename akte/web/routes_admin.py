"""Administration in the browser (``/app/verwaltung``): people, org units, memberships and
deputies, single-Akte grants, API keys, retention rules and legal holds, the audit log;
tenants for system admins.

Every page calls the service the API route calls, so role, tenant and org-unit checks are
the services' own: a caseworker gets 403, another tenant's person or Akte is refused and
never listed. Secrets (a reset code, an API key) appear once, on the answer to the POST
that made them, with ``Cache-Control: no-store``; nothing stores them in plain text.
The audit log is for tenant admins (the role the Datenschutzbeauftragte and the Personalrat
are given for their review; akte has no separate reviewer role).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from akte.audit import query as audit_query
from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import repository as case_file_repo
from akte.core.dependencies import Context, DbSession
from akte.core.errors import AkteError, Conflict, NotFound, Unprocessable
from akte.core.pagination import PageParams, paginate
from akte.grants import service as grants
from akte.grants.schemas import GrantWrite
from akte.retention import service as retention
from akte.retention.schemas import HoldCreate, RuleWrite
from akte.tenants import service as tenants
from akte.tenants.schemas import OrgUnitCreate, TenantCreate
from akte.users import service as users
from akte.users.models import Membership, Role
from akte.users.schemas import MembershipWrite, UserCreate
from akte.web import casework, messages
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app/verwaltung", include_in_schema=False, route_class=PageRoute)
BERLIN = ZoneInfo("Europe/Berlin")
AUDIT_PAGE_SIZE = 50
ROLE_LABELS = {
    "tenant_admin": "Administration",
    "caseworker": "Sachbearbeitung",
    "importer": "Import (Dienstkonto)",
    "print_provider": "Druckdienstleister (Dienstkonto)",
    "system_admin": "Systemadministration",
}
KEY_STATES = {"active": "gültig", "expired": "abgelaufen", "revoked": "widerrufen"}
NO_STORE = {"Cache-Control": "no-store"}


def _admin(principal: Principal) -> uuid.UUID:
    principal.require_role(Role.tenant_admin)
    assert principal.tenant_id is not None  # a tenant admin always has one
    return principal.tenant_id


def _end_of(day: date | None) -> datetime | None:
    """A date typed as "bis einschließlich" ends at midnight after it, Berlin time."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time(), BERLIN).astimezone(UTC)


def _day(value: str, label: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Unprocessable(
            f"{label}: bitte ein gültiges Datum angeben (TT.MM.JJJJ)", code="invalid_form"
        ) from None


def _done(session: DbSession, target: str, message: str) -> Response:  # type: ignore[valid-type]
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(f"{target}?msg={message}", status_code=303)


def _org_units(session: DbSession, principal: Principal, tenant_id: uuid.UUID) -> list:  # type: ignore[valid-type]
    return list(session.scalars(tenants.org_units_query(session, principal, tenant_id)))


# --- people -------------------------------------------------------------------------------


def _people_page(
    request: Request,
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    *,
    form: dict[str, Any] | None = None,
    error: AkteError | None = None,
) -> Response:
    tenant_id = _admin(principal)
    people = list(session.scalars(users.list_query(session, principal, tenant_id)))
    return page(
        request,
        principal,
        "verwaltung_personen.html",
        {
            "nav": "verwaltung",
            "people": people,
            "units": _org_units(session, principal, tenant_id),
            "role_labels": ROLE_LABELS,
            "form": form or {},
            "error": messages.german(error) if error else None,
        },
        error.status_code if error else 200,
    )


@router.get("")
def people(request: Request, session: DbSession, principal: Staff) -> Response:
    """The tenant's people and service accounts, and the form for a new one."""
    if principal.role is Role.system_admin:
        return RedirectResponse("/app/verwaltung/mandanten", status_code=303)
    return _people_page(request, session, principal)


@router.post("/personen", dependencies=[CsrfChecked])
def create_person(
    request: Request,
    session: DbSession,
    principal: Staff,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=32)] = "caseworker",
    org_unit_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    """A person gets a one-time code as first password, a service account its API key;
    either is shown once. A refusal keeps what was typed, the reason at the form."""
    tenant_id = _admin(principal)
    form = {"username": username, "display_name": display_name, "role": role}
    person = role not in {"importer", "print_provider"}
    try:
        if role == Role.system_admin.value:
            raise Unprocessable("Rolle: ungültige Angabe", code="invalid_form")
        user_in = casework.parse(
            UserCreate,
            username=username.strip(),
            display_name=display_name.strip(),
            role=role,
            org_unit_ids=[org_unit_id] if org_unit_id and person else [],
            **({"password": uuid.uuid4().hex} if person else {}),
        )
        user, api_key = users.create_user(session, principal, tenant_id, user_in=user_in)
        secret = api_key or users.reset_password(session, principal, user.id)
    except (Unprocessable, Conflict) as exc:
        session.rollback()
        return _people_page(request, session, principal, form=form, error=exc)
    session.commit()
    return _once(request, principal, user, secret, "key" if api_key else "code")


def _once(request: Request, principal: Principal, user: Any, secret: str, kind: str) -> Response:
    """The page that shows a new secret this one time; never cached."""
    response = page(
        request,
        principal,
        "verwaltung_einmalig.html",
        {"nav": "verwaltung", "person": user, "secret": secret, "kind": kind},
        201,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/personen/{user_id}")
def person(user_id: uuid.UUID, request: Request, session: DbSession, principal: Staff) -> Response:
    """One account: memberships (with end dates: deputies), API keys, deactivation, reset."""
    tenant_id = _admin(principal)
    user = users.get_administered(session, principal, user_id)
    memberships = list(session.scalars(select(Membership).where(Membership.user_id == user.id)))
    keys = list(session.scalars(users.api_keys(session, principal, user.id)))
    return page(
        request,
        principal,
        "verwaltung_person.html",
        {
            "nav": "verwaltung",
            "person": user,
            "memberships": memberships,
            "units": {u.id: u for u in _org_units(session, principal, tenant_id)},
            "keys": [(k, KEY_STATES[users.key_state(k)]) for k in keys],
            "role_labels": ROLE_LABELS,
            "service_account": Role(user.role) in {Role.importer, Role.print_provider},
        },
    )


def _person_url(user_id: uuid.UUID) -> str:
    return f"/app/verwaltung/personen/{user_id}"


@router.post("/personen/{user_id}/deaktivieren", dependencies=[CsrfChecked])
def deactivate(user_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    _admin(principal)
    users.deactivate(session, principal, user_id)
    return _done(session, _person_url(user_id), "user_deactivated")


@router.post("/personen/{user_id}/passwort", dependencies=[CsrfChecked])
def reset_password(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    _admin(principal)
    code = users.reset_password(session, principal, user_id)
    user = users.get_administered(session, principal, user_id)
    session.commit()
    return _once(request, principal, user, code, "code")


@router.post("/personen/{user_id}/mitgliedschaften", dependencies=[CsrfChecked])
def add_membership(
    user_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    org_unit_id: Annotated[uuid.UUID, Form()],
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A membership; with an end date it is a deputy's (Vertretung) and ends by itself."""
    _admin(principal)
    until = _end_of(_day(valid_until, "Bis"))
    users.grant_membership(
        session, principal, user_id, org_unit_id, membership_in=MembershipWrite(valid_until=until)
    )
    return _done(session, _person_url(user_id), "membership_saved")


@router.post(
    "/personen/{user_id}/mitgliedschaften/{org_unit_id}/entfernen", dependencies=[CsrfChecked]
)
def remove_membership(
    user_id: uuid.UUID, org_unit_id: uuid.UUID, session: DbSession, principal: Staff
) -> Response:
    _admin(principal)
    users.revoke_membership(session, principal, user_id, org_unit_id)
    return _done(session, _person_url(user_id), "membership_removed")


@router.post("/personen/{user_id}/schluessel", dependencies=[CsrfChecked])
def issue_key(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    _admin(principal)
    plaintext, _ = users.issue_api_key(session, principal, user_id)
    user = users.get_administered(session, principal, user_id)
    session.commit()
    return _once(request, principal, user, plaintext, "key")


@router.post("/personen/{user_id}/schluessel/{key_id}/widerrufen", dependencies=[CsrfChecked])
def revoke_key(
    user_id: uuid.UUID, key_id: uuid.UUID, session: DbSession, principal: Staff
) -> Response:
    _admin(principal)
    users.revoke_api_key(session, principal, user_id, key_id)
    return _done(session, _person_url(user_id), "key_revoked")


# --- org units ----------------------------------------------------------------------------


@router.get("/einheiten")
def org_units(request: Request, session: DbSession, principal: Staff) -> Response:
    tenant_id = _admin(principal)
    return page(
        request,
        principal,
        "verwaltung_einheiten.html",
        {"nav": "verwaltung", "units": _org_units(session, principal, tenant_id), "form": {}},
    )


@router.post("/einheiten", dependencies=[CsrfChecked])
def create_org_unit(
    request: Request,
    session: DbSession,
    principal: Staff,
    code: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    tenant_id = _admin(principal)
    try:
        body = casework.parse(OrgUnitCreate, code=code.strip(), name=name.strip())
        tenants.create_org_unit(session, principal, tenant_id, org_unit_in=body)
    except (Unprocessable, Conflict) as exc:
        session.rollback()
        return page(
            request,
            principal,
            "verwaltung_einheiten.html",
            {
                "nav": "verwaltung",
                "units": _org_units(session, principal, tenant_id),
                "form": {"code": code, "name": name},
                "error": messages.german(exc),
            },
            exc.status_code,
        )
    return _done(session, "/app/verwaltung/einheiten", "org_unit_created")


# --- one Akte: grants and holds -----------------------------------------------------------


@router.get("/akten/{case_file_id}")
def akte_admin(
    case_file_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    """Who else may read this Akte (grants to other org units, with end dates), and its
    legal holds."""
    tenant_id = _admin(principal)
    rows = grants.list_grants(session, principal, case_file_id)  # 404 for a foreign Akte
    case_file = case_file_repo.get(session, case_file_id)
    holds = [
        h
        for h in retention.list_holds(session, principal, active_only=True)
        if h.case_file_id == case_file_id
    ]
    return page(
        request,
        principal,
        "verwaltung_akte.html",
        {
            "nav": "verwaltung",
            "case_file": case_file,
            "grants": [grants.to_read(g) for g in rows],
            "units": {u.id: u for u in _org_units(session, principal, tenant_id)},
            "holds": holds,
        },
    )


@router.post("/akten/{case_file_id}/freigaben", dependencies=[CsrfChecked])
def add_grant(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    org_unit_id: Annotated[uuid.UUID, Form()],
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _admin(principal)
    until = _end_of(_day(valid_until, "Bis"))
    grants.grant(
        session, principal, case_file_id, org_unit_id, grant_in=GrantWrite(valid_until=until)
    )
    return _done(session, f"/app/verwaltung/akten/{case_file_id}", "grant_saved")


@router.post("/akten/{case_file_id}/freigaben/{org_unit_id}/entfernen", dependencies=[CsrfChecked])
def remove_grant(
    case_file_id: uuid.UUID, org_unit_id: uuid.UUID, session: DbSession, principal: Staff
) -> Response:
    _admin(principal)
    grants.revoke(session, principal, case_file_id, org_unit_id)
    return _done(session, f"/app/verwaltung/akten/{case_file_id}", "grant_removed")


@router.post("/akten/{case_file_id}/sperre", dependencies=[CsrfChecked])
def add_hold(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _admin(principal)
    grants.list_grants(session, principal, case_file_id)  # the Akte is the admin's (404)
    body = casework.parse(HoldCreate, case_file_id=case_file_id, reason=reason.strip())
    retention.create_hold(session, principal, hold_in=body)
    return _done(session, f"/app/verwaltung/akten/{case_file_id}", "hold_created")


# --- retention ----------------------------------------------------------------------------


@router.get("/aufbewahrung")
def retention_page(request: Request, session: DbSession, principal: Staff) -> Response:
    """Retention rules per Dokumentart (and the default), and every active legal hold."""
    _admin(principal)
    from akte.casework import doctypes

    holds = retention.list_holds(session, principal, active_only=True)
    akten = {
        c.id: c
        for c in (case_file_repo.get(session, h.case_file_id) for h in holds if h.case_file_id)
        if c is not None
    }
    return page(
        request,
        principal,
        "verwaltung_aufbewahrung.html",
        {
            "nav": "verwaltung",
            "rules": retention.list_rules(session, principal),
            "holds": holds,
            "akten": akten,
            "doc_types": doctypes.names(session, principal.tenant_id),
        },
    )


@router.post("/aufbewahrung/regeln", dependencies=[CsrfChecked])
def put_rule(
    session: DbSession,
    principal: Staff,
    doc_type: Annotated[str, Form(max_length=100)] = "",
    years: Annotated[str, Form(max_length=4)] = "",
    after: Annotated[str, Form(max_length=10)] = "closed",
) -> Response:
    _admin(principal)
    if not years.strip().isdigit():
        raise Unprocessable("Jahre: bitte eine ganze Zahl angeben", code="invalid_form")
    body = casework.parse(
        RuleWrite, doc_type=doc_type.strip() or None, years=int(years), after=after
    )
    retention.put_rule(session, principal, rule_in=body)
    return _done(session, "/app/verwaltung/aufbewahrung", "rule_saved")


@router.post("/aufbewahrung/regeln/{rule_id}/loeschen", dependencies=[CsrfChecked])
def delete_rule(rule_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    _admin(principal)
    retention.delete_rule(session, principal, rule_id)
    return _done(session, "/app/verwaltung/aufbewahrung", "rule_deleted")


@router.post("/sperren/{hold_id}/aufheben", dependencies=[CsrfChecked])
def release_hold(hold_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    _admin(principal)
    retention.release_hold(session, principal, hold_id)
    return _done(session, "/app/verwaltung/aufbewahrung", "hold_released")


# --- audit log ----------------------------------------------------------------------------


def _audit_filter(
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    person: uuid.UUID | None,
    aktenzeichen: str,
    action: str,
    since: str,
    until: str,
) -> audit_query.AuditFilter:
    """The page's filters as the API's; an Aktenzeichen of another tenant matches nothing."""
    case_file_id = None
    if aktenzeichen.strip():
        found = case_file_repo.by_aktenzeichen(session, _admin(principal), aktenzeichen.strip())
        if found is None:
            raise NotFound("Akte not found")
        case_file_id = str(found.id)
    start, end = _day(since, "Von"), _day(until, "Bis")
    flt = audit_query.AuditFilter(
        actor_id=str(person) if person else None,
        action=action.strip() or None,
        since=_end_of(start - timedelta(days=1)) if start else None,
        until=_end_of(end),
        case_file_id=case_file_id,
    )
    return audit_query.with_case_file(session, flt)


AuditText = Annotated[str, Query(max_length=64)]


@router.get("/protokoll")
def audit_log(
    request: Request,
    session: DbSession,
    principal: Staff,
    person: uuid.UUID | None = None,
    akte: AuditText = "",
    action: AuditText = "",
    since: Annotated[str, Query(alias="von", max_length=10)] = "",
    until: Annotated[str, Query(alias="bis", max_length=10)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """The tenant's audit log, newest first, filtered by person, Akte, action and period;
    looking is audited like the API's query."""
    audit_query.require_auditor(principal)
    tenant_id = _admin(principal)
    flt = _audit_filter(session, principal, person, akte, action, since, until)
    rows, total = paginate(
        session, audit_query.statement(principal, flt), PageParams(page_no, AUDIT_PAGE_SIZE)
    )
    audit.record(session, principal, "audit.query", object_type="audit", detail=flt.as_detail())
    people = list(session.scalars(users.list_query(session, principal, tenant_id)))
    keep = {
        k: v
        for k, v in (
            ("person", str(person) if person else ""),
            ("akte", akte),
            ("action", action),
            ("von", since),
            ("bis", until),
        )
        if v
    }
    return page(
        request,
        principal,
        "verwaltung_protokoll.html",
        {
            "nav": "verwaltung",
            "entries": rows,
            "total": total,
            "page_no": page_no,
            "pages": max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1),
            "people": people,
            "names": {str(p.id): p.display_name for p in people},
            "keep": keep,
            "person": person,
            "akte": akte,
            "action": action,
            "since": since,
            "until": until,
        },
    )


@router.get("/protokoll.csv")
def audit_csv(
    ctx: Context,
    session: DbSession,
    principal: Staff,
    person: uuid.UUID | None = None,
    akte: AuditText = "",
    action: AuditText = "",
    since: Annotated[str, Query(alias="von", max_length=10)] = "",
    until: Annotated[str, Query(alias="bis", max_length=10)] = "",
) -> Response:
    """The same entries as CSV, every match, streamed like the API's export."""
    audit_query.require_auditor(principal)
    flt = _audit_filter(session, principal, person, akte, action, since, until)
    audit.record(session, principal, "audit.export", object_type="audit", detail=flt.as_detail())
    session.commit()  # the export is on the record, and no write lock is held while streaming
    return StreamingResponse(
        audit_query.csv_rows(ctx.session_factory, principal, flt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="protokoll.csv"'},
    )


# --- tenants (system admins) --------------------------------------------------------------


def _tenants_page(
    request: Request,
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    form: dict[str, str] | None = None,
    error: AkteError | None = None,
) -> Response:
    principal.require_role(Role.system_admin)
    return page(
        request,
        principal,
        "verwaltung_mandanten.html",
        {
            "nav": "verwaltung",
            "tenants": list(session.scalars(tenants.list_query(principal))),
            "form": form or {},
            "error": messages.german(error) if error else None,
        },
        error.status_code if error else 200,
    )


@router.get("/mandanten")
def tenants_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _tenants_page(request, session, principal)


@router.post("/mandanten", dependencies=[CsrfChecked])
def create_tenant(
    request: Request,
    session: DbSession,
    principal: Staff,
    slug: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    principal.require_role(Role.system_admin)
    try:
        body = casework.parse(TenantCreate, slug=slug.strip(), name=name.strip())
        tenants.create_tenant(session, principal, tenant_in=body)
    except (Unprocessable, Conflict) as exc:
        session.rollback()
        return _tenants_page(request, session, principal, {"slug": slug, "name": name}, exc)
    return _done(session, "/app/verwaltung/mandanten", "tenant_created")
