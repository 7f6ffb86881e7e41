"""In Chromium at phone size: three photos picked, one moved up, "these photos are pages of
one paper" ticked: one document whose pages follow the list, each photo confirmed."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from akte.core.database import session_scope
from akte.documents.models import Document
from tests.web.test_portal_browser import browser, enter_code, new_code, page, portal  # noqa: F401

pytestmark = pytest.mark.slow


def _photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="JPEG")
    return out.getvalue()


def test_photos_ticked_together_become_one_document_in_list_order(portal, page: Page):  # noqa: F811
    code = new_code(portal)
    enter_code(page, portal, code)
    page.locator("#files").set_input_files(
        [
            {"name": "seite-a.jpg", "mimeType": "image/jpeg", "buffer": _photo(300, 400)},
            {"name": "seite-b.jpg", "mimeType": "image/jpeg", "buffer": _photo(400, 300)},
            {"name": "seite-c.jpg", "mimeType": "image/jpeg", "buffer": _photo(200, 500)},
        ]
    )
    # c was the first page of the paper: two steps up, by its own button
    up_c = page.get_by_role("button", name="إلى الأعلى: seite-c.jpg")
    up_c.click()
    up_c.click()
    expect(page.locator(".progress-list li .name").first).to_contain_text("seite-c.jpg")
    page.get_by_label("الصور صفحات من ورقة واحدة", exact=False).check()
    page.get_by_role("button", name="تحميل").click()
    expect(page).to_have_url(re.compile(r"/upload/receipts/[0-9a-f-]{36}"))
    expect(page.get_by_text("صفحات هذا المستند")).to_be_visible()

    with session_scope(portal.server.ctx.session_factory) as session:
        documents = list(
            session.scalars(
                select(Document).where(
                    Document.case_file_id == portal.case_file_id, Document.title.like("seite-c%")
                )
            )
        )
        assert len(documents) == 1
        document_id = documents[0].id
        from akte.documents.models import DocumentVersion

        version = session.scalar(
            select(DocumentVersion).where(DocumentVersion.document_id == document_id)
        )
        pdf_bytes = portal.server.ctx.storage.read_bytes(version.sha256)
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        sizes = [
            tuple(int(v) for v in (img.Width, img.Height))
            for p in pdf.pages
            for img in p.get_images().values()
        ]
    assert sizes == [(200, 500), (300, 400), (400, 300)]
