"""Demo data for ``make run``: a tenant, two org units, people, Akten and a few documents.

Passwords are random, made on the first run and kept in ``<data dir>/demo-logins.json``
(readable by the owner only), so every start can print them and no fixed password ships.
"""

from __future__ import annotations

import io
import json
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents import intake
from akte.documents.models import DocumentSource
from akte.tenants import service as tenants
from akte.tenants.models import OrgUnit, Tenant
from akte.tenants.schemas import OrgUnitCreate, TenantCreate
from akte.users import service as users
from akte.users.models import Role
from akte.users.schemas import UserCreate

DEMO_TENANT = "demo"

DEMO_CASE_FILES = [
    (
        "AZ-2024-000123",
        "12345BG0012345",
        "Jürgen Müller",
        ["Jürgen Müller", "Hauptstraße 12", "12345 Musterstadt"],
        "Leistungen nach dem SGB II",
        "LB-1",
    ),
    (
        "AZ-2024-000124",
        "12345BG0012346",
        "Ayşe Yılmaz",
        ["Ayşe Yılmaz", "Bahnhofstraße 3a", "12345 Musterstadt"],
        "Weiterbewilligungsantrag",
        "LB-1",
    ),
    (
        "AZ-2023-004711",
        "12345BG0004711",
        "Peter Schäfer",
        ["Peter Schäfer", "Am Markt 7", "12346 Beispieldorf"],
        "Widerspruch gegen Bescheid vom 03.02.2023",
        "LB-2",
    ),
]

DEMO_TEXTS = {
    "Kontoauszug": "Kontoauszug Nr. 7 der Sparkasse Musterstadt. "
    "Miete an Wohnungsbau GmbH 450,00 EUR.",
    "Lohnabrechnung": "Lohnabrechnung für März. Bruttolohn 1.250,00 EUR, Nettolohn 985,40 EUR.",
    "Mietvertrag": "Mietvertrag über die Wohnung Hauptstraße 12. "
    "Kaltmiete 380 EUR, Nebenkosten 70 EUR.",
}


def _pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 780
    for line in text.split(". "):
        pdf.drawString(72, y, line.strip())
        y -= 18
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _logins_path(ctx: AppContext) -> Path:
    return ctx.settings.data_dir / "demo-logins.json"


def seed(ctx: AppContext) -> dict[str, str]:
    """Create the demo data once; returns ``{username: password}``."""
    path = _logins_path(ctx)
    with session_scope(ctx.session_factory) as session:
        if session.scalar(select(Tenant).where(Tenant.slug == DEMO_TENANT)) is not None:
            return json.loads(path.read_text()) if path.exists() else {}
        logins = _create(session, ctx)
    path.write_text(json.dumps(logins, indent=2))
    path.chmod(0o600)
    return logins


def _create(session: Session, ctx: AppContext) -> dict[str, str]:
    tenant = tenants.create_tenant(
        session,
        None,
        tenant_in=TenantCreate(
            slug=DEMO_TENANT,
            name="Jobcenter Musterstadt",
            options={"import_creates_case_files": True},
        ),
    )
    units: dict[str, OrgUnit] = {}
    for code, name in [("LB-1", "Leistungsbereich 1"), ("LB-2", "Leistungsbereich 2")]:
        units[code] = tenants.create_org_unit(
            session, None, tenant.id, org_unit_in=OrgUnitCreate(code=code, name=name)
        )
    logins = {
        "sachbearbeitung": secrets.token_urlsafe(12),
        "admin": secrets.token_urlsafe(12),
        "root": secrets.token_urlsafe(12),
    }
    users.create_user(
        session,
        None,
        tenant.id,
        user_in=UserCreate(
            username="sachbearbeitung",
            display_name="Sabine Sachbearbeiterin",
            role=Role.caseworker,
            password=logins["sachbearbeitung"],
            org_unit_ids=[units["LB-1"].id],
        ),
    )
    users.create_user(
        session,
        None,
        tenant.id,
        user_in=UserCreate(
            username="admin",
            display_name="Anton Admin",
            role=Role.tenant_admin,
            password=logins["admin"],
            org_unit_ids=[units["LB-1"].id, units["LB-2"].id],
        ),
    )
    users.create_user(
        session,
        None,
        None,
        user_in=UserCreate(
            username="root",
            display_name="Systemverwaltung",
            role=Role.system_admin,
            password=logins["root"],
        ),
    )
    for az, bg, name, address, betreff, unit in DEMO_CASE_FILES:
        case_file = CaseFile(
            tenant_id=tenant.id,
            org_unit_id=units[unit].id,
            aktenzeichen=az,
            bg_nummer=bg,
            bg_nummer_norm=bg,
            person_name=name,
            address_lines="\n".join(address),
            betreff=betreff,
        )
        session.add(case_file)
        session.flush()
        for doc_type, text in DEMO_TEXTS.items():
            info = ctx.storage.put_bytes(_pdf(f"{name}. {text}"))
            intake.add_document(
                session,
                tenant_id=tenant.id,
                case_file_id=case_file.id,
                scanned=intake.ScannedFile(info.sha256, info.size, "application/pdf"),
                filename=f"{doc_type.lower()}.pdf",
                title=f"{doc_type} {name}",
                doc_type=doc_type,
                source=DocumentSource.staff_upload,
            )
    return logins
