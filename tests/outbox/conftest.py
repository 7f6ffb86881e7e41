"""Builders for outbox tests: PDFs with the address where we want it, a second provider."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.users.models import Role
from outbox import fonts
from outbox import geometry as g
from outbox import settings as outbox_settings
from tests.builders import World, api_key_headers, make_user

ADDRESS = ["Erika Mustermann", "Hauptstraße 12", "12345 Musterstadt"]


def make_pdf(
    address: list[str] | None = None,
    *,
    address_top_mm: float = g.ADDRESS_TOP_MM + 5,
    address_left_mm: float = 25,
    notes_text: str | None = None,
    return_lines: list[str] = (),
    pages: int = 1,
    pagesize=A4,
    body: str = "Sehr geehrte Frau Mustermann, dies ist ein Test.",
) -> bytes:
    """A letter with its address lines starting ``address_top_mm`` from the top (fonts
    embedded, as the print check requires)."""
    fonts.register()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=pagesize, initialFontName=fonts.REGULAR)
    height = pagesize[1]
    for page in range(pages):
        if page == 0:
            pdf.setFont(fonts.REGULAR, 10)
            for i, line in enumerate(ADDRESS if address is None else address):
                pdf.drawString(
                    address_left_mm * g.MM, height - (address_top_mm + i * 4.2) * g.MM, line
                )
            if notes_text:
                pdf.drawString(25 * g.MM, height - 50 * g.MM, notes_text)
            pdf.setFont(fonts.REGULAR, 6)
            for i, line in enumerate(return_lines):
                pdf.drawString(25 * g.MM, height - (60 + i * 2.2) * g.MM, line)
        pdf.setFont(fonts.REGULAR, 11)
        pdf.drawString(25 * g.MM, height - 110 * g.MM, f"{body} Seite {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def landscape_pdf() -> bytes:
    return make_pdf(pagesize=landscape(A4))


@dataclass
class OutboxWorld:
    world: World
    provider_b: dict[str, str]


@pytest.fixture
def ow(ctx: AppContext, world: World) -> OutboxWorld:
    """The world plus a provider for tenant B, and no surprise sealing by cut-off for A/B."""
    with session_scope(ctx.session_factory) as session:
        provider_b = api_key_headers(
            session, make_user(session, world.tenant_b, Role.print_provider, password_hash=None)
        )
        for tenant in (world.tenant_a, world.tenant_b):
            outbox_settings.put(
                session,
                tenant.id,
                outbox_settings.TenantOutboxSettings(
                    cutoff_times=["14:00"], working_days=[], ack_timeout_seconds=3600
                ),
            )
    return OutboxWorld(world, provider_b)


def upload(client, headers, case_file_id, pdf: bytes, **form) -> object:
    data = {
        "subject": "Bescheid",
        **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
    }
    return client.post(
        f"/api/v1/case-files/{case_file_id}/letters",
        headers=headers,
        files={"file": ("brief.pdf", pdf, "application/pdf")},
        data=data,
    )
