"""Data and requests for the role × endpoint matrix (see ``test_role_matrix.py``).

Every role gets one identity; the target of every route is an object of tenant A that the
caseworker ``cw_access`` may read through their org unit and ``cw_granted`` through a
single-Akte grant. Routes that destroy or use up their target get a fresh one per call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.identity.models import IdentityProvider
from akte.jobs import repository as jobs
from akte.retention.models import LegalHold, RetentionRule
from akte.tenants.models import OrgUnit, Tenant
from akte.users.models import Membership, Role
from tests.builders import (
    api_key_headers,
    bearer,
    make_case_file,
    make_org_unit,
    make_user,
    make_world,
    unique,
)
from tests.client import TestClient
from tests.deliveries.conftest import TRANSFERVERMERK
from tests.trust.helpers import text_pdf, unique_pdf
from tests.web.conftest import browser, login

ROLES = [
    "cw_access",  # caseworker of the Akte's org unit
    "cw_granted",  # caseworker of another org unit, with a grant on this one Akte
    "cw_no_grant",  # caseworker of the same tenant without access
    "cw_other_tenant",  # caseworker of tenant B
    "tenant_admin",
    "admin_other_tenant",  # tenant admin of tenant B
    "system_admin",
    "importer",
    "provider",
    "citizen",  # a citizen's upload-code session (cookie), no API credentials
    "anonymous",
]


@dataclass
class Matrix:
    ctx: AppContext
    client: TestClient
    world: Any
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    citizen_cookie: str = ""
    #: logged-in browsers of the web workspace, per role (see ``WEB_ROLES``)
    web: dict[str, TestClient] = field(default_factory=dict)

    def as_cw(self, method: str, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        r = self.client.request(method, url, headers=self.headers["cw_access"], **kwargs)
        assert r.status_code < 300, (url, r.status_code, r.text)
        return r.json() if r.content and "json" in r.headers.get("content-type", "") else None

    def as_admin(self, method: str, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        r = self.client.request(method, url, headers=self.headers["tenant_admin"], **kwargs)
        assert r.status_code < 300, (url, r.status_code, r.text)
        return r.json() if r.content else None

    # -- fresh targets ------------------------------------------------------------------

    def new_document(self) -> str:
        case = self.ids["case_file_id"]
        return self.as_cw(
            "POST",
            f"/api/v1/case-files/{case}/documents",
            files={"file": ("a.pdf", unique_pdf("matrix"), "application/pdf")},
        )["id"]

    def new_inbox_item(self) -> str:
        """A document of Akte A waiting in the Posteingang, as a citizen upload arrives."""
        from sqlalchemy import update

        from akte.documents.models import Document

        document_id = self.new_document()
        with session_scope(self.ctx.session_factory) as session:
            session.execute(
                update(Document).where(Document.id == uuid.UUID(document_id)).values(filed=False)
            )
        return document_id

    def new_code(self) -> str:
        case = self.ids["case_file_id"]
        return self.as_cw("POST", f"/api/v1/case-files/{case}/upload-codes", json={})["id"]

    def new_letter(self) -> dict:
        case = self.ids["case_file_id"]
        return self.as_cw("POST", f"/api/v1/case-files/{case}/letters", data=LETTER)

    def new_follow_up(self) -> str:
        from akte.casework.followups import today

        case = self.ids["case_file_id"]
        due = (today() + timedelta(days=1)).isoformat()
        return self.as_cw(
            "POST",
            f"/api/v1/case-files/{case}/follow-ups",
            json={"due_on": due, "reason": "Matrix"},
        )["id"]

    def new_grant_unit(self) -> str:
        with session_scope(self.ctx.session_factory) as session:
            unit = make_org_unit(session, self.world.tenant_a)
            unit_id = str(unit.id)
        case = self.ids["case_file_id"]
        self.as_admin("PUT", f"/api/v1/case-files/{case}/grants/{unit_id}", json={})
        return unit_id

    def new_membership_user(self) -> str:
        with session_scope(self.ctx.session_factory) as session:
            user = make_user(session, self.world.tenant_a, Role.caseworker)
            session.add(Membership(user_id=user.id, org_unit_id=self.world.unit_a2.id))
            return str(user.id)

    def fresh_headers(self, role: str) -> dict[str, str]:
        """Credentials of a new identity just like ``role``'s, for routes that end the
        caller's own sessions (password change, log out everywhere)."""
        w = self.world
        like = {
            "cw_access": (w.tenant_a, Role.caseworker, (w.unit_a1,)),
            "cw_granted": (w.tenant_a, Role.caseworker, (w.unit_a2,)),
            "cw_no_grant": (w.tenant_a, Role.caseworker, ()),
            "cw_other_tenant": (w.tenant_b, Role.caseworker, (w.unit_b1,)),
            "tenant_admin": (w.tenant_a, Role.tenant_admin, ()),
            "admin_other_tenant": (w.tenant_b, Role.tenant_admin, ()),
            "system_admin": (None, Role.system_admin, ()),
            "importer": (w.tenant_a, Role.importer, ()),
            "provider": (w.tenant_a, Role.print_provider, ()),
        }
        if role not in like:
            return dict(self.headers.get(role, {}))
        tenant, user_role, units = like[role]
        with session_scope(self.ctx.session_factory) as session:
            if user_role in {Role.importer, Role.print_provider}:
                user = make_user(session, tenant, user_role, password_hash=None)
                return api_key_headers(session, user)
            user = make_user(session, tenant, user_role, units)
            return bearer(self.ctx, user)

    def new_rule(self) -> str:
        with session_scope(self.ctx.session_factory) as session:
            rule = RetentionRule(
                tenant_id=self.world.tenant_a.id, doc_type=unique("art"), years=10, after="closed"
            )
            session.add(rule)
            session.flush()
            return str(rule.id)


def build(ctx: AppContext, client: TestClient) -> Matrix:
    world = make_world(ctx)
    m = Matrix(ctx, client, world)
    h = world.headers
    with session_scope(ctx.session_factory) as session:
        admin_b = make_user(session, world.tenant_b, Role.tenant_admin)
        m.headers["admin_other_tenant"] = bearer(ctx, admin_b)
        world.users["admin_b"] = admin_b
    m.headers.update(
        {
            "cw_access": h["caseworker_a1"],
            "cw_granted": h["caseworker_a2"],
            "cw_no_grant": h["caseworker_none"],
            "cw_other_tenant": h["caseworker_b"],
            "tenant_admin": h["admin_a"],
            "system_admin": h["system_admin"],
            "importer": h["importer_a"],
            "provider": h["provider_a"],
            "anonymous": {},
        }
    )
    case = str(world.case_a1.id)
    m.ids.update(
        {
            "case_file_id": case,
            "tenant_id": str(world.tenant_a.id),
            "org_unit_id": str(world.unit_a2.id),
            "user_id": str(world.users["importer_a"].id),
        }
    )
    m.as_admin("PUT", f"/api/v1/case-files/{case}/grants/{world.unit_a2.id}", json={})
    m.ids["document_id"] = m.new_document()
    m.ids["code_id"] = m.new_code()
    m.ids["rule_id"] = m.new_rule()
    letter = m.new_letter()
    m.ids["letter_id"], m.ids["letter_document_id"] = letter["id"], letter["document_id"]
    _casework(m)
    with session_scope(ctx.session_factory) as session:
        # a hold on some other Akte: it must not block the routes under test
        hold = LegalHold(tenant_id=world.tenant_a.id, case_file_id=uuid.uuid4(), reason="m")
        session.add(hold)
        session.flush()
        m.ids["hold_id"] = str(hold.id)
        m.ids["job_id"] = str(jobs.enqueue(session, "trust.matrix", {}, delay_seconds=3600).id)
    _delivery(m)
    _records(m)
    # a sealed outbox batch needs the batching schedule: an unknown id (nobody reaches it)
    m.ids["batch_id"] = str(uuid.uuid4())
    m.citizen_cookie = _citizen_cookie(m)
    _foreign(m)
    m.ids["provider_id"] = _identity_provider(m)
    return m


def _identity_provider(m: Matrix) -> str:
    """An OpenID Connect provider of tenant A (never contacted: the matrix only checks who
    may administer it)."""
    with session_scope(m.ctx.session_factory) as session:
        provider = IdentityProvider(
            tenant_id=m.world.tenant_a.id,
            slug=unique("idp"),
            name="Matrix-IdP",
            kind="oidc",
            config={"issuer": "https://idp.invalid", "client_id": "akte"},
            client_secret="x",
        )
        session.add(provider)
        session.flush()
        return str(provider.id)


def _records(m: Matrix) -> None:
    """A processed document with a redaction, and an export (queued: its downloads answer
    409 to whoever may read it, 404 to everyone else)."""
    from ingest.tasks import process_document

    case = m.ids["case_file_id"]
    document_id = m.as_cw(
        "POST",
        f"/api/v1/case-files/{case}/documents",
        files={"file": ("r.pdf", text_pdf(f"Schwärzung {uuid.uuid4()}"), "application/pdf")},
    )["id"]
    process_document(m.ctx, {"document_id": document_id, "version_no": 1})
    m.ids["ready_document_id"] = document_id
    m.ids["redaction_id"] = m.as_cw(
        "POST", f"/api/v1/documents/{document_id}/redactions", json=REDACTION
    )["id"]
    m.ids["export_id"] = m.as_cw("POST", f"/api/v1/case-files/{case}/exports", json=EXPORT)["id"]
    # two closed Akten: one offered to the archive (its routes), one left to offer
    with session_scope(m.ctx.session_factory) as session:
        tenant, unit = (
            session.get(Tenant, m.world.tenant_a.id),
            session.get(OrgUnit, m.world.unit_a1.id),
        )
        offered, free = (
            make_case_file(session, tenant, unit, status="closed", closed_at=utcnow())
            for _ in range(2)
        )
        m.ids["closed_case_file_id"] = str(free.id)
        offered_id = str(offered.id)
        m.ids["transfer_case_file_id"] = str(make_case_file(session, tenant, unit).id)
    m.ids["aussonderung_id"] = m.as_admin(
        "POST",
        "/api/v1/aussonderungen",
        json={"recipient": "Landesarchiv", "case_file_ids": [offered_id]},
    )["id"]

    m.ids["transfer_id"] = m.as_admin(
        "POST",
        "/api/v1/transfers",
        json={
            "case_file_id": m.ids["transfer_case_file_id"],
            "to_tenant": m.world.tenant_b.slug,
            "reason": "Matrix-Test",
        },
    )["id"]


REDACTION = {
    "areas": [{"page": 1, "x0": 10, "top": 10, "x1": 60, "bottom": 40}],
    "reason": "Matrix-Test",
}
EXPORT = {"kind": "court", "recipient": "Sozialgericht"}


# -- foreign objects: what a missing scope filter would let through ------------------------

#: Roles whose lists and pages are checked for foreign ids; each role may use the list,
#: so only the row filter stands between them and another org unit's or tenant's data.
WEB_ROLES = {
    "cw_access": "caseworker_a1",
    "cw_other_tenant": "caseworker_b",
    "tenant_admin": "admin_a",
    "admin_other_tenant": "admin_b",
}


def _upload(m: Matrix, role: str, case_file: Any, *, unfiled: bool = False) -> str:
    r = m.client.post(
        f"/api/v1/case-files/{case_file.id}/documents",
        headers=m.headers[role],
        data={"title": unique("Titel")},
        files={"file": ("f.pdf", unique_pdf("foreign"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    if unfiled:  # as a citizen upload arrives: in the Posteingang
        from sqlalchemy import update

        from akte.documents.models import Document

        with session_scope(m.ctx.session_factory) as session:
            session.execute(
                update(Document).where(Document.id == uuid.UUID(r.json()["id"])).values(filed=False)
            )
    return r.json()["id"]


def _casework(m: Matrix) -> None:
    """A Vorgang, a Vermerk and a Wiedervorlage in Akte a1 (the routes' targets)."""
    case = m.ids["case_file_id"]
    m.ids["vorgang_id"] = m.as_cw(
        "POST", f"/api/v1/case-files/{case}/vorgaenge", json={"title": "Matrix"}
    )["id"]
    m.ids["note_id"] = m.as_cw("POST", f"/api/v1/case-files/{case}/notes", json={"body": "Matrix"})[
        "id"
    ]
    m.ids["follow_up_id"] = m.new_follow_up()
    # a second Akte of unit a1, where misfiled documents are moved to
    m.ids["move_target_id"] = m.as_cw(
        "POST",
        "/api/v1/case-files",
        json={"aktenzeichen": unique("AZ"), "org_unit_id": str(m.world.unit_a1.id)},
    )["id"]


def _foreign_casework(m: Matrix) -> None:
    """Vorgänge, Vermerke and Wiedervorlagen of Akte a2 and of tenant B; the Wiedervorlagen
    are assigned to cw_access's own user and unit (rows written directly: as if access had
    been lost after they were set), so only the Akte's scope keeps them off their list."""
    from akte.casework.followups import today
    from akte.casework.models import FollowUp

    w = m.world
    for key, role, case_file in (
        ("a2", "cw_granted", w.case_a2),
        ("b1", "cw_other_tenant", w.case_b1),
    ):
        for kind, body in (("vorgaenge", {"title": "Fremd"}), ("notes", {"body": "Fremd"})):
            r = m.client.post(
                f"/api/v1/case-files/{case_file.id}/{kind}", json=body, headers=m.headers[role]
            )
            assert r.status_code == 201, r.text
            m.ids[f"{kind}_{key}"] = r.json()["id"]
    with session_scope(m.ctx.session_factory) as session:
        for key, case_file in (("a2", w.case_a2), ("b1", w.case_b1)):
            for suffix, assignee in (
                ("", {"assignee_user_id": w.users["caseworker_a1"].id}),
                ("_unit", {"assignee_org_unit_id": w.unit_a1.id}),
            ):
                row = FollowUp(
                    tenant_id=case_file.tenant_id,
                    case_file_id=case_file.id,
                    due_on=today(),
                    reason="Fremd",
                    **assignee,
                )
                session.add(row)
                session.flush()
                m.ids[f"follow_up_{key}{suffix}"] = str(row.id)


def _foreign(m: Matrix) -> None:
    """Data of unit a2 (same tenant, another org unit) and of tenant B, next to own data
    of the same kinds, so every list below has something it must show and something it
    must not."""
    w = m.world
    # Akte a2 belongs to unit a2 only: cw_granted owns it, cw_access must never see it
    m.ids["doc_a2"] = _upload(m, "cw_granted", w.case_a2)
    m.ids["inbox_a1"] = _upload(m, "cw_access", w.case_a1, unfiled=True)
    m.ids["inbox_a2"] = _upload(m, "cw_granted", w.case_a2, unfiled=True)
    m.ids["doc_b1"] = _upload(m, "cw_other_tenant", w.case_b1)
    m.ids["inbox_b1"] = _upload(m, "cw_other_tenant", w.case_b1, unfiled=True)
    r = m.client.post(
        f"/api/v1/case-files/{w.case_a2.id}/upload-codes", json={}, headers=m.headers["cw_granted"]
    )
    assert r.status_code == 201, r.text
    m.ids["code_a2"], code_a2 = r.json()["id"], r.json()["code"]
    with session_scope(m.ctx.session_factory) as session:
        importer_b = make_user(session, w.tenant_b, Role.importer, password_hash=None)
        m.headers["importer_b"] = api_key_headers(session, importer_b)
    r = m.client.post(
        "/api/v1/deliveries",
        headers=m.headers["importer_b"],
        **delivery_form(m, {"Y": text_pdf(f"Y {uuid.uuid4()}")}, w.case_b1),
    )
    assert r.status_code == 201, r.text
    m.ids["delivery_b"] = r.json()["id"]
    # a grant the other tenant's admin must not reach (``leak_problems``)
    with session_scope(m.ctx.session_factory) as session:
        m.ids["grant_unit"] = str(make_org_unit(session, w.tenant_a).id)
    _outbox(m)
    _foreign_casework(m)
    _retention_b(m)
    _indexed(m)
    # a citizen of Akte a2 uploads: their receipt must stay theirs
    m.ids["receipt_a2"] = _citizen_receipt(m, _citizen_cookie(m, code_a2))
    m.web = {}
    for role, user in WEB_ROLES.items():
        m.web[role] = browser(m.ctx)
        login(m.web[role], w.users[user].username)


def _retention_b(m: Matrix) -> None:
    """A retention rule and a legal hold of tenant B, next to tenant A's."""
    w = m.world
    with session_scope(m.ctx.session_factory) as session:
        rule = RetentionRule(
            tenant_id=w.tenant_b.id, doc_type=unique("art"), years=5, after="received"
        )
        hold = LegalHold(tenant_id=w.tenant_b.id, case_file_id=w.case_b1.id, reason="b")
        session.add_all([rule, hold])
        session.flush()
        m.ids["rule_b"], m.ids["hold_b"] = str(rule.id), str(hold.id)


def _indexed(m: Matrix) -> None:
    """One indexed document in each of Akte a1, a2 and b1, all holding the same word, so a
    search for it shows what the caller's search scope lets through."""
    from search import indexing
    from tests.search.conftest import add_document

    w = m.world
    m.ids["search_word"] = word = "Matrixwort" + uuid.uuid4().hex[:8]
    with session_scope(m.ctx.session_factory) as session:
        for key, case_file in (
            ("search_a1", w.case_a1),
            ("search_a2", w.case_a2),
            ("search_b1", w.case_b1),
        ):
            m.ids[key] = str(add_document(session, case_file, pages=[f"{word} Bescheid"]).id)
    indexing.get(m.ctx).index_documents(
        m.ctx, [uuid.UUID(m.ids[k]) for k in ("search_a1", "search_a2", "search_b1")]
    )


def _outbox(m: Matrix) -> None:
    """Letters of Akte a2 and of tenant B; a sealed batch per tenant, each holding a letter
    (rows written directly: sealing needs the batching schedule)."""
    from sqlalchemy import update

    from akte.core.database import utcnow
    from outbox.models import Batch, BatchStatus, Letter, LetterStatus

    w = m.world
    letters = {}
    for name, role, case_file in (
        ("letter_a2", "cw_granted", w.case_a2),
        ("letter_in_batch_a", "cw_access", w.case_a1),
        ("letter_in_batch_b", "cw_other_tenant", w.case_b1),
    ):
        r = m.client.post(
            f"/api/v1/case-files/{case_file.id}/letters", data=LETTER, headers=m.headers[role]
        )
        assert r.status_code == 201, r.text
        letters[name] = m.ids[name] = r.json()["id"]
    with session_scope(m.ctx.session_factory) as session:
        for key, tenant in (("batch_a", w.tenant_a), ("batch_b", w.tenant_b)):
            batch = Batch(
                tenant_id=tenant.id,
                product="standard",
                status=BatchStatus.ready,
                letter_count=1,
                sheet_count=1,
                sealed_at=utcnow(),
            )
            session.add(batch)
            session.flush()
            m.ids[key] = str(batch.id)
            letter_id = uuid.UUID(letters[f"letter_in_{key}"])
            session.execute(
                update(Letter)
                .where(Letter.id == letter_id)
                .values(batch_id=batch.id, status=LetterStatus.batched)
            )


def _count(m: Matrix, kind: str, tenant: Any) -> int:
    from sqlalchemy import func, select

    from akte.tenants.models import OrgUnit
    from akte.users.models import User

    model = {"org_unit": OrgUnit, "user": User}[kind]
    with session_scope(m.ctx.session_factory) as session:
        return (
            session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant.id)
            )
            or 0
        )


def _audit_tenants(m: Matrix, entry_ids: set[int]) -> set[uuid.UUID | None]:
    from sqlalchemy import select

    from akte.audit.models import AuditEntry

    with session_scope(m.ctx.session_factory) as session:
        return set(
            session.scalars(
                select(AuditEntry.tenant_id).where(AuditEntry.id.in_(entry_ids)).distinct()
            )
        )


def _citizen_receipt(m: Matrix, cookie: str) -> str:
    page = m.client.get("/upload/files", headers={"Cookie": cookie})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = m.client.post(
        "/upload/files",
        headers={"Cookie": cookie},
        follow_redirects=False,
        data={"csrf_token": token.group(1)},
        files={"files": ("beleg.pdf", unique_pdf("citizen"), "application/pdf")},
    )
    assert r.status_code == 303, r.text
    found = re.search(r"/upload/receipts/([0-9a-f-]{36})", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


MANIFEST_HEADER = "ID;Aktenzeichen;Dokumentart;Titel;Seitenzahl;SHA256;Dateiname\n"
ITEM_B = text_pdf("Antrag B (Matrix)")


def delivery_form(m: Matrix, items: dict[str, bytes], case_file: Any = None) -> dict[str, Any]:
    az = (case_file or m.world.case_a1).aktenzeichen
    manifest = MANIFEST_HEADER + "".join(
        f"{key};{az};Antrag;Titel {key};1;{hashlib.sha256(data).hexdigest()};{key}.pdf\n"
        for key, data in items.items()
    )
    return {
        "data": {"external_id": unique("L")},
        "files": {
            "manifest": ("manifest.csv", manifest.encode(), "text/csv"),
            "transfervermerk": (
                "transfervermerk.json",
                json.dumps(TRANSFERVERMERK).encode(),
                "application/json",
            ),
        },
    }


def _delivery(m: Matrix) -> None:
    """A scanning contractor's delivery with one imported document (A) and one pending
    item (B), made through the importer's API like the real thing."""
    item_a = text_pdf(f"Antrag A {uuid.uuid4()}")
    headers = m.headers["importer"]
    r = m.client.post(
        "/api/v1/deliveries", headers=headers, **delivery_form(m, {"A": item_a, "B": ITEM_B})
    )
    assert r.status_code == 201, r.text
    m.ids["delivery_id"] = r.json()["id"]
    r = m.client.put(
        f"/api/v1/deliveries/{m.ids['delivery_id']}/items/A/file",
        headers=headers,
        files={"file": ("A.pdf", item_a, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    m.ids["imported_document_id"] = r.json()["document_id"]
    m.ids["external_id"] = "B"


def _citizen_cookie(m: Matrix, code: str | None = None) -> str:
    """A real citizen session: redeem an upload code through the portal."""
    code = (
        code
        or m.as_cw("POST", f"/api/v1/case-files/{m.ids['case_file_id']}/upload-codes", json={})[
            "code"
        ]
    )
    with TestClient(m.client.app) as browser:
        page = browser.get("/upload")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the portal page carries a CSRF token"
        r = browser.post(
            "/upload", data={"code": code, "csrf_token": token.group(1)}, follow_redirects=False
        )
        assert r.status_code == 303, r.text
        return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


# -- request bodies and per-call targets ---------------------------------------------------

LETTER = {
    "subject": "Einladung",
    "body": "Bitte kommen Sie.",
    "recipient": "Max Mustermann\nHauptstr. 1\n12345 Musterstadt",
}
Prepare = Callable[[Matrix], dict[str, Any]]


def _pdf_file(_m: Matrix) -> dict[str, Any]:
    return {"files": {"file": ("a.pdf", unique_pdf("m"), "application/pdf")}}


BODIES: dict[tuple[str, str], Prepare] = {
    ("POST", "/api/v1/auth/token"): lambda m: {
        "data": {
            "username": m.world.users["caseworker_a1"].username,
            "password": "correct-horse-battery",
        }
    },
    # these end the caller's own tokens: each role calls them as a new identity of its kind
    ("POST", "/api/v1/auth/password"): lambda m: {
        "fresh": True,
        "json": {
            "current_password": "correct-horse-battery",
            "new_password": "a-new-long-password-1",
        },
    },
    ("POST", "/api/v1/auth/logout-everywhere"): lambda m: {"fresh": True},
    ("POST", "/api/v1/auth/second-factor"): lambda m: {"fresh": True},
    # ending one's own or a person's sessions must not end the matrix's page sessions
    ("DELETE", "/api/v1/auth/sessions"): lambda m: {"fresh": True},
    ("DELETE", "/api/v1/users/{user_id}/sessions"): lambda m: {
        "path": {"user_id": m.new_membership_user()}
    },
    # somebody else's (or no) session: not the caller's, so it does not exist for them
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): lambda m: {"path": {"session_id": "0" * 32}},
    ("POST", "/api/v1/auth/second-factor/confirm"): lambda m: {
        "fresh": True,
        "json": {"code": "000000"},
    },
    ("POST", "/api/v1/users/{user_id}/logout-everywhere"): lambda m: {
        "path": {"user_id": m.new_membership_user()}
    },
    # a new person each time: deactivating or resetting the matrix's own would lock it out
    ("POST", "/api/v1/users/{user_id}/deactivate"): lambda m: {
        "path": {"user_id": m.new_membership_user()}
    },
    ("POST", "/api/v1/users/{user_id}/password-reset"): lambda m: {
        "path": {"user_id": m.new_membership_user()}
    },
    ("POST", "/api/v1/tenants"): lambda m: {"json": {"slug": unique("t"), "name": "JC"}},
    ("POST", "/api/v1/tenants/{tenant_id}/org-units"): lambda m: {
        "json": {"code": unique("OE"), "name": "Team"}
    },
    ("POST", "/api/v1/tenants/{tenant_id}/users"): lambda m: {
        "json": {
            "username": unique("u"),
            "display_name": "X",
            "role": "caseworker",
            "password": "a-long-password-123",
        }
    },
    ("PUT", "/api/v1/users/{user_id}/memberships/{org_unit_id}"): lambda m: {
        "json": {},
        "path": {"user_id": m.new_membership_user()},
    },
    ("DELETE", "/api/v1/users/{user_id}/memberships/{org_unit_id}"): lambda m: {
        "path": {"user_id": m.new_membership_user()}
    },
    ("POST", "/api/v1/case-files"): lambda m: {
        "json": {"aktenzeichen": unique("AZ"), "org_unit_id": str(m.world.unit_a1.id)}
    },
    ("PATCH", "/api/v1/case-files/{case_file_id}"): lambda m: {"json": {"betreff": "Betreff"}},
    ("POST", "/api/v1/case-files/{case_file_id}/documents"): _pdf_file,
    ("PATCH", "/api/v1/documents/{document_id}"): lambda m: {"json": {"title": "Titel"}},
    ("DELETE", "/api/v1/documents/{document_id}"): lambda m: {
        "json": {"reason": "Matrix-Test"},
        "path": {"document_id": m.new_document()},
    },
    ("POST", "/api/v1/documents/{document_id}/versions"): _pdf_file,
    ("GET", "/api/v1/search"): lambda m: {"params": {"q": "Lohnabrechnung"}},
    ("GET", "/api/v1/documents/{document_id}/archive"): lambda m: {
        "params": {"pages": "1"},
        "path": {"document_id": m.ids["ready_document_id"]},
    },
    ("POST", "/api/v1/case-files/{case_file_id}/letters"): lambda m: {"data": LETTER},
    ("POST", "/api/v1/case-files/{case_file_id}/letters/preview"): lambda m: {"data": LETTER},
    # cancelling twice is a 409 (allowed to try): one letter serves every role
    ("GET", "/api/v1/documents/{document_id}/letter"): lambda m: {
        "path": {"document_id": m.ids["letter_document_id"]}
    },
    ("PUT", "/api/v1/outbox/settings"): lambda m: {"json": {}},
    ("POST", "/api/v1/outbox/batches/{batch_id}/ack"): lambda m: {
        "json": {"zip_sha256": "0" * 64}
    },  # a wrong checksum: 409, allowed to try
    ("POST", "/api/v1/outbox/letters/{letter_id}/status"): lambda m: {
        "data": {"status": "printed"}
    },
    ("POST", "/api/v1/deliveries"): lambda m: delivery_form(
        m, {"X": text_pdf(f"X {uuid.uuid4()}")}
    ),
    # sending the same file again is idempotent: one pending item serves every role
    ("PUT", "/api/v1/deliveries/{delivery_id}/items/{external_id}/file"): lambda m: {
        "files": {"file": ("B.pdf", ITEM_B, "application/pdf")}
    },
    ("POST", "/api/v1/deliveries/check"): lambda m: {
        "files": {"manifest": ("m.csv", b"ID;Dateiname\nX;x.pdf\n", "text/csv")}
    },
    ("PATCH", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): lambda m: {
        "content": ITEM_B,
        "headers": {"Upload-Offset": "0", "Upload-Length": str(len(ITEM_B))},
    },
    ("PUT", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): lambda m: {
        "content": ITEM_B,
        "headers": {"Content-Range": f"bytes 0-{len(ITEM_B) - 1}/{len(ITEM_B)}"},
    },
    ("PATCH", "/api/v1/tenants/current/options"): lambda m: {"json": {}},
    ("POST", "/api/v1/identity-providers"): lambda m: {
        "json": {
            "slug": unique("ldap"),
            "name": "Verzeichnis",
            "kind": "ldap",
            "tenant_id": str(m.world.tenant_a.id),
            "config": {
                "url": "ldaps://ldap.invalid",
                "user_dn_template": "uid={username},dc=x",
                "group_base": "dc=x",
            },
        }
    },
    ("PATCH", "/api/v1/identity-providers/{provider_id}"): lambda m: {"json": {"name": "IdP"}},
    ("PUT", "/api/v1/identity-providers/{provider_id}/mappings"): lambda m: {
        "json": {"mappings": []}
    },
    ("POST", "/api/v1/identity-providers/{provider_id}/service-clients"): lambda m: {
        "json": {"client_id": unique("client"), "user_id": str(m.world.users["importer_a"].id)}
    },
    (
        "DELETE",
        "/api/v1/identity-providers/{provider_id}/service-clients/{service_client_id}",
    ): lambda m: {
        "path": {
            "service_client_id": m.as_admin(
                "POST",
                f"/api/v1/identity-providers/{m.ids['provider_id']}/service-clients",
                json={
                    "client_id": unique("client"),
                    "user_id": str(m.world.users["importer_a"].id),
                },
            )["id"]
        }
    },
    ("DELETE", "/api/v1/users/{user_id}/api-keys/{key_id}"): lambda m: {
        "path": {
            "key_id": m.as_admin("POST", f"/api/v1/users/{m.ids['user_id']}/api-keys", json={})[
                "key_id"
            ]
        }
    },
    ("POST", "/api/v1/identity-providers/{provider_id}/token"): lambda m: {
        "data": {"username": "someone", "password": "secret"}
    },
    ("PATCH", "/api/v1/tenants/{tenant_id}/options"): lambda m: {"json": {}},
    ("GET", "/api/v1/documents/{document_id}/provenance"): lambda m: {
        "path": {"document_id": m.ids["imported_document_id"]}
    },
    ("POST", "/api/v1/case-files/{case_file_id}/upload-codes"): lambda m: {"json": {}},
    ("POST", "/api/v1/upload-codes/{code_id}/revoke"): lambda m: {
        "path": {"code_id": m.new_code()}
    },
    ("PUT", "/api/v1/retention/rules"): lambda m: {
        "json": {"doc_type": unique("art"), "years": 10}
    },
    ("DELETE", "/api/v1/retention/rules/{rule_id}"): lambda m: {"path": {"rule_id": m.new_rule()}},
    ("POST", "/api/v1/retention/holds"): lambda m: {
        "json": {"case_file_id": str(m.world.case_a2.id), "reason": "Matrix-Test"}
    },
    ("PUT", "/api/v1/case-files/{case_file_id}/grants/{org_unit_id}"): lambda m: {"json": {}},
    ("POST", "/api/v1/case-files/{case_file_id}/vorgaenge"): lambda m: {"json": {"title": "M"}},
    ("PATCH", "/api/v1/vorgaenge/{vorgang_id}"): lambda m: {"json": {"kind": "Widerspruch"}},
    ("PUT", "/api/v1/vorgangsarten"): lambda m: {"json": {"names": ["Widerspruch", "Klage"]}},
    ("PUT", "/api/v1/dokumentarten"): lambda m: {"json": {"items": []}},  # the defaults
    ("POST", "/api/v1/inbox/file"): lambda m: {
        "json": {
            "items": [{"document_id": m.new_document(), "doc_type": "Sonstiges", "title": "Matrix"}]
        }
    },
    ("POST", "/api/v1/inbox/{document_id}/reject"): lambda m: {
        "json": {"reason": "Matrix"},
        "path": {"document_id": m.new_inbox_item()},
    },
    ("POST", "/api/v1/documents/{document_id}/move"): lambda m: {
        "json": {"case_file_id": m.ids["move_target_id"], "reason": "Matrix"},
        "path": {"document_id": m.new_document()},
    },
    ("PUT", "/api/v1/documents/{document_id}/vorgang"): lambda m: {
        "json": {"vorgang_id": m.ids["vorgang_id"]}
    },
    ("POST", "/api/v1/case-files/{case_file_id}/notes"): lambda m: {"json": {"body": "M"}},
    ("POST", "/api/v1/case-files/{case_file_id}/follow-ups"): lambda m: {
        "json": {"due_on": _in_days(1), "reason": "Matrix"}
    },
    # completing or postponing uses the follow-up up: a fresh one per call
    ("POST", "/api/v1/follow-ups/{follow_up_id}/done"): lambda m: {
        "json": {},
        "path": {"follow_up_id": m.new_follow_up()},
    },
    ("POST", "/api/v1/follow-ups/{follow_up_id}/postpone"): lambda m: {
        "json": {"due_on": _in_days(5), "note": "Matrix"},
        "path": {"follow_up_id": m.new_follow_up()},
    },
    ("DELETE", "/api/v1/case-files/{case_file_id}/grants/{org_unit_id}"): lambda m: {
        "path": {"org_unit_id": m.new_grant_unit()}
    },
    ("POST", "/api/v1/documents/{document_id}/redactions"): lambda m: {
        "json": REDACTION,
        "path": {"document_id": m.ids["ready_document_id"]},
    },
    ("POST", "/api/v1/case-files/{case_file_id}/redaction-preview"): lambda m: {
        "json": {"terms": ["matrix"]}
    },
    ("POST", "/api/v1/case-files/{case_file_id}/redactions"): lambda m: {
        "json": {"terms": ["kommt nicht vor"], "reason": "Matrix-Test"}
    },
    ("POST", "/api/v1/case-files/{case_file_id}/exports"): lambda m: {"json": EXPORT},
    ("POST", "/api/v1/exports/{export_id}/confirmation"): lambda m: {
        "content": b"<kein/>",
        "headers": {"Content-Type": "application/xml"},
    },
    # offering twice is 409 (allowed to try): the Akte stays offered after the first call
    ("POST", "/api/v1/aussonderungen"): lambda m: {
        "json": {"recipient": "Landesarchiv", "case_file_ids": [m.ids["closed_case_file_id"]]}
    },
    # the spare Akte again: 409 transfer_open for its admin, 404 for every other tenant
    ("POST", "/api/v1/transfers"): lambda m: {
        "json": {
            "case_file_id": m.ids["transfer_case_file_id"],
            "to_tenant": m.world.tenant_b.slug,
            "reason": "Matrix-Test",
        }
    },
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): lambda m: {
        "json": {"org_unit_id": str(m.world.unit_b1.id)}
    },
    # a 0504 receipt of the matrix's Aussonderung: recorded (repeats answer the same)
    ("POST", "/api/v1/aussonderungen/{aussonderung_id}/messages"): lambda m: {
        "content": _receipt_0504(m.ids["aussonderung_id"]),
        "headers": {"Content-Type": "application/xml"},
    },
}


def _receipt_0504(process_id: str) -> bytes:
    from tests.records.test_aussonderung import archive_message

    return archive_message(
        "3.0.0", "Aussonderung.AnbietungEmpfangBestaetigen.0504", "0504", process_id
    )


def _in_days(days: int) -> str:
    from akte.casework.followups import today

    return (today() + timedelta(days=days)).isoformat()


def request_for(m: Matrix, method: str, path: str) -> tuple[str, dict[str, Any]]:
    prepared = dict(BODIES.get((method, path), lambda _m: {})(m))
    ids = {**m.ids, **prepared.pop("path", {})}
    url = re.sub(r"\{(\w+)\}", lambda g: ids[g.group(1)], path)
    return url, prepared


def api_routes(app) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path template) under ``/api/v1``, however routers were included."""

    def walk(routes):  # type: ignore[no-untyped-def]
        for route in routes:
            if hasattr(route, "effective_candidates"):
                yield from walk(route.effective_candidates())
            elif hasattr(route, "routes") and not hasattr(route, "methods"):
                yield from walk(route.routes)
            else:
                yield route

    for route in walk(app.routes):
        # as published: without path convertors (``{delivery_id:uuid}``)
        path = re.sub(r":\w+\}", "}", getattr(route, "path", ""))
        if path.startswith("/api/v1"):
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":
                    yield method, path


# -- foreign-id checks of lists, lookups and pages ---------------------------------------


class _Found(Exception):
    """The first problem, where one is all the caller wants (see :func:`leak_problems`)."""


class _Problems(list[str]):
    """The problems found so far; with ``stop``, appending the first ends the checks."""

    def __init__(self, *, stop: bool) -> None:
        super().__init__()
        self.stop = stop

    def append(self, problem: str) -> None:
        super().append(problem)
        if self.stop:
            raise _Found


def leak_problems(m: Matrix, *, first: bool = False) -> list[str]:
    """Every list and page a role may use, checked for ids it must not contain (another
    org unit's, another tenant's) and for ids it must contain (so an empty answer cannot
    pass). A status-only check would not notice a missing row filter; these do.

    ``first``: stop at the first problem. A scope mutant (``test_scope_mutations.py``) is
    caught by one, and most mutants show theirs early, so the rest of the about 140
    requests need not be made for each of the 29 mutants; without it, every check runs
    and every problem is listed (the baseline and ``test_role_matrix.py``)."""
    problems = _Problems(stop=first)
    with contextlib.suppress(_Found):
        _leak_checks(m, problems)
    return list(problems)


def _leak_checks(m: Matrix, problems: list[str]) -> None:
    """The checks of :func:`leak_problems`, each problem appended to ``problems``."""
    w, ids = m.world, m.ids
    a1, a2, b1 = str(w.case_a1.id), str(w.case_a2.id), str(w.case_b1.id)

    def check(what: str, text: str, present: set[str], absent: set[str]) -> None:
        missing = {i for i in present if i not in text}
        leaked = {i for i in absent if i in text}
        if missing:
            problems.append(f"{what}: own ids missing {sorted(missing)}")
        if leaked:
            problems.append(f"{what}: foreign ids shown {sorted(leaked)}")

    def api(role: str, url: str, **params: Any) -> str:
        r = m.client.get(url, headers=m.headers[role], params={"size": 200, **params})
        if r.status_code != 200:
            problems.append(f"GET {url} as {role}: {r.status_code}")
        return r.text

    def status(role: str, method: str, url: str, **kwargs: Any) -> int:
        return m.client.request(method, url, headers=m.headers[role], **kwargs).status_code

    def total_problem(what: str, text: str, expected: int) -> None:
        try:
            total = json.loads(text).get("total")
        except ValueError:
            total = None
        if total != expected:
            problems.append(f"{what}: total {total}, not {expected}")

    def web(role: str, url: str) -> str:
        r = m.web[role].get(url)
        if r.status_code != 200:
            problems.append(f"page {url} as {role}: {r.status_code}")
        return r.text

    # Akten: org unit and tenant
    check("case-files as cw_access", api("cw_access", "/api/v1/case-files"), {a1}, {a2, b1})
    check(
        "case-files as cw_other_tenant",
        api("cw_other_tenant", "/api/v1/case-files"),
        {b1},
        {a1, a2},
    )
    check(
        "/app as cw_access",
        web("cw_access", "/app"),
        {w.case_a1.aktenzeichen},
        {w.case_a2.aktenzeichen, w.case_b1.aktenzeichen},
    )
    check(
        "/app as cw_other_tenant",
        web("cw_other_tenant", "/app"),
        {w.case_b1.aktenzeichen},
        {w.case_a1.aktenzeichen, w.case_a2.aktenzeichen},
    )
    # documents by id: another org unit's document does not exist for the caller
    for doc in ("doc_a2", "doc_b1"):
        code = status("cw_access", "GET", f"/api/v1/documents/{ids[doc]}")
        if code != 404:
            problems.append(f"document {doc} as cw_access: {code}, not 404")
        code = m.web["cw_access"].get(f"/app/documents/{ids[doc]}").status_code
        if code != 404:
            problems.append(f"page of document {doc} as cw_access: {code}, not 404")
    # the Posteingang: unfiled documents of the caller's Akten only
    check(
        "/app/posteingang as cw_access",
        web("cw_access", "/app/posteingang"),
        {ids["inbox_a1"]},
        {ids["inbox_a2"], ids["inbox_b1"]},
    )
    check(
        "/app/posteingang as cw_other_tenant",
        web("cw_other_tenant", "/app/posteingang"),
        {ids["inbox_b1"]},
        {ids["inbox_a1"], ids["inbox_a2"]},
    )
    # upload codes: another org unit's code can be neither listed nor revoked
    check(
        "upload codes of a1 as cw_access",
        api("cw_access", f"/api/v1/case-files/{a1}/upload-codes"),
        {ids["code_id"]},
        {ids["code_a2"]},
    )
    code = status("cw_access", "POST", f"/api/v1/upload-codes/{ids['code_a2']}/revoke")
    if code != 404:
        problems.append(f"revoking unit a2's upload code as cw_access: {code}, not 404")
    # deliveries: the tenant's own, for the API and the import pages
    own_delivery, foreign_delivery = ids["delivery_id"], ids["delivery_b"]
    check(
        "deliveries as admin_other_tenant",
        api("admin_other_tenant", "/api/v1/deliveries"),
        {foreign_delivery},
        {own_delivery},
    )
    check(
        "deliveries as tenant_admin",
        api("tenant_admin", "/api/v1/deliveries"),
        {own_delivery},
        {foreign_delivery},
    )
    check(
        "/app/imports as admin_other_tenant",
        web("admin_other_tenant", "/app/imports"),
        {foreign_delivery},
        {own_delivery},
    )
    check(
        "/app/imports as tenant_admin",
        web("tenant_admin", "/app/imports"),
        {own_delivery},
        {foreign_delivery},
    )
    code = m.web["admin_other_tenant"].get(f"/app/imports/{own_delivery}").status_code
    if code != 404:
        problems.append(f"import page of tenant A's delivery as admin_other_tenant: {code}")
    # API keys: an account's list names its own keys only, never another account's
    own_key = m.as_admin("POST", f"/api/v1/users/{ids['user_id']}/api-keys", json={})["key_id"]
    other_key = m.as_admin("POST", f"/api/v1/users/{w.users['provider_a'].id}/api-keys", json={})[
        "key_id"
    ]
    check(
        "API keys of the importer as tenant_admin",
        api("tenant_admin", f"/api/v1/users/{ids['user_id']}/api-keys"),
        {own_key},
        {other_key},
    )
    # identity providers: each tenant admin lists their own tenant's only
    check(
        "identity providers as admin_other_tenant",
        api("admin_other_tenant", "/api/v1/identity-providers"),
        set(),
        {ids["provider_id"]},
    )
    check(
        "identity providers as tenant_admin",
        api("tenant_admin", "/api/v1/identity-providers"),
        {ids["provider_id"]},
        set(),
    )
    # the audit log and its export: entries of the caller's tenant only (an entry may name
    # a foreign id: a refused attempt on it is logged in the refused caller's tenant)
    for role, tenant in (("admin_other_tenant", w.tenant_b), ("tenant_admin", w.tenant_a)):
        items = (
            m.client.get("/api/v1/audit", headers=m.headers[role], params={"size": 200})
            .json()
            .get("items", [])
        )
        export = api(role, "/api/v1/audit/export.csv").splitlines()[1:]
        entry_ids = {e["id"] for e in items} | {int(row.split(",", 1)[0]) for row in export}
        tenants = _audit_tenants(m, entry_ids)
        if not items or not export or tenants != {tenant.id}:
            problems.append(
                f"audit log as {role}: {len(items)} entries, {len(export)} "
                f"exported, of tenants {sorted(map(str, tenants))}"
            )
    # letters: through the Akte for caseworkers, through the served tenants for the provider
    for role, url, expected in (
        ("cw_access", f"/api/v1/letters/{ids['letter_a2']}", 404),
        ("cw_access", f"/api/v1/letters/{ids['letter_in_batch_a']}", 200),
        ("provider", f"/api/v1/outbox/letters/{ids['letter_in_batch_b']}", 404),
        ("provider", f"/api/v1/outbox/letters/{ids['letter_in_batch_a']}", 200),
        ("provider", f"/api/v1/outbox/batches/{ids['batch_b']}", 404),
    ):
        code = status(role, "GET", url)
        if code != expected:
            problems.append(f"GET {url} as {role}: {code}, not {expected}")
    check(
        "outbox batches as provider",
        api("provider", "/api/v1/outbox/batches"),
        {ids["batch_a"]},
        {ids["batch_b"]},
    )
    # casework: Vorgänge, Vermerke and Wiedervorlagen of another org unit or tenant
    for key in ("a2", "b1"):
        for url in (
            f"/api/v1/vorgaenge/{ids[f'vorgaenge_{key}']}",
            f"/api/v1/notes/{ids[f'notes_{key}']}",
            f"/api/v1/follow-ups/{ids[f'follow_up_{key}']}",
        ):
            code = status("cw_access", "GET", url)
            if code != 404:
                problems.append(f"GET {url} as cw_access: {code}, not 404")
    foreign_follow_ups = {ids[f"follow_up_{k}{u}"] for k in ("a2", "b1") for u in ("", "_unit")}
    check(
        "follow-ups/mine as cw_access",
        api("cw_access", "/api/v1/follow-ups/mine"),
        {ids["follow_up_id"]},
        foreign_follow_ups,
    )
    check(
        "/app/wiedervorlagen as cw_access",
        web("cw_access", "/app/wiedervorlagen"),
        {ids["follow_up_id"]},
        foreign_follow_ups,
    )
    # administration lists: the caller's tenant only; ``total`` too, since a page of 200
    # taken from every tenant's rows need not show a foreign id
    a, b = str(w.tenant_a.id), str(w.tenant_b.id)
    for role, own, foreign in (
        ("tenant_admin", ids["rule_id"], ids["rule_b"]),
        ("admin_other_tenant", ids["rule_b"], ids["rule_id"]),
    ):
        check(f"retention rules as {role}", api(role, "/api/v1/retention/rules"), {own}, {foreign})
    for role, own, foreign in (
        ("tenant_admin", ids["hold_id"], ids["hold_b"]),
        ("admin_other_tenant", ids["hold_b"], ids["hold_id"]),
    ):
        # released ones too: the route matrix releases tenant A's hold
        check(
            f"legal holds as {role}",
            api(role, "/api/v1/retention/holds", include_released="true"),
            {own},
            {foreign},
        )
    units_b = {str(w.unit_b1.id)}
    for role in ("tenant_admin", "cw_access"):
        text = api(role, f"/api/v1/tenants/{a}/org-units")
        check(f"org units of tenant A as {role}", text, {str(w.unit_a1.id)}, units_b)
        total_problem(f"org units of tenant A as {role}", text, _count(m, "org_unit", w.tenant_a))
    text = api("tenant_admin", f"/api/v1/tenants/{a}/users")
    check(
        "users of tenant A as tenant_admin",
        text,
        {str(w.users["admin_a"].id)},
        {str(w.users["caseworker_b"].id), str(w.users["admin_b"].id)},
    )
    total_problem("users of tenant A as tenant_admin", text, _count(m, "user", w.tenant_a))
    text = api("tenant_admin", "/api/v1/tenants")
    check("tenants as tenant_admin", text, {a}, {b})
    total_problem("tenants as tenant_admin", text, 1)
    # search: the caller's org units (and grants) only, whatever the words match
    word = ids["search_word"]
    check(
        "search as cw_access",
        api("cw_access", "/api/v1/search", q=word, size=100),
        {ids["search_a1"]},
        {ids["search_a2"], ids["search_b1"]},
    )
    check(
        "search as cw_other_tenant",
        api("cw_other_tenant", "/api/v1/search", q=word, size=100),
        {ids["search_b1"]},
        {ids["search_a1"], ids["search_a2"]},
    )
    # changes: borrowed access and another tenant's admin are refused, whatever the row;
    # the targets are made afresh, in case an earlier run (a mutant) got through
    m.as_admin("PUT", f"/api/v1/case-files/{a1}/grants/{ids['grant_unit']}", json={})
    ids["doc_to_keep"] = _upload(m, "cw_access", w.case_a1)
    ids["vorgang_to_keep"] = m.as_cw(
        "POST", f"/api/v1/case-files/{a1}/vorgaenge", json={"title": "offen bleiben"}
    )["id"]
    refused = {
        ("cw_granted", "POST", f"/api/v1/vorgaenge/{ids['vorgang_to_keep']}/close"): (403, {}),
        ("cw_access", "POST", f"/api/v1/documents/{ids['doc_to_keep']}/move"): (
            404,
            {"json": {"case_file_id": a2, "reason": "fremd"}},
        ),
        ("cw_granted", "PATCH", f"/api/v1/case-files/{a1}"): (403, {"json": {"betreff": "x"}}),
        ("cw_granted", "POST", f"/api/v1/documents/{ids['document_id']}/versions"): (
            403,
            {"files": {"file": ("v.pdf", unique_pdf("v"), "application/pdf")}},
        ),
        ("cw_granted", "POST", f"/api/v1/upload-codes/{ids['code_id']}/revoke"): (403, {}),
        ("admin_other_tenant", "GET", f"/api/v1/case-files/{a1}/grants"): (404, {}),
        ("admin_other_tenant", "DELETE", f"/api/v1/case-files/{a1}/grants/{ids['grant_unit']}"): (
            404,
            {},
        ),
        ("admin_other_tenant", "DELETE", f"/api/v1/documents/{ids['doc_to_keep']}"): (
            404,
            {"json": {"reason": "fremd"}},
        ),
        ("tenant_admin", "PUT", f"/api/v1/deliveries/{ids['delivery_id']}/items/B/file"): (
            403,
            {"files": {"file": ("B.pdf", ITEM_B, "application/pdf")}},
        ),
    }
    for (role, method, url), (expected, kwargs) in refused.items():
        code = status(role, method, url, **kwargs)
        if code != expected:
            problems.append(f"{method} {url} as {role}: {code}, not {expected}")
    # the citizen portal: one code's Akte and receipts only
    citizen = {"Cookie": m.citizen_cookie}
    page = m.client.get("/upload/files", headers=citizen)
    check(
        "/upload/files as citizen of a1",
        page.text,
        {w.case_a1.aktenzeichen},
        {w.case_a2.aktenzeichen, ids["receipt_a2"]},
    )
    code = m.client.get(f"/upload/receipts/{ids['receipt_a2']}", headers=citizen).status_code
    if code != 404:
        problems.append(f"receipt of another code as citizen of a1: {code}, not 404")
