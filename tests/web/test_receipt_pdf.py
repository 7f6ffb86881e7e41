"""The receipt PDF in the citizen's language: shaped Arabic and Ethiopic text that can be
extracted again, tagged, with /Lang."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.test_codes import enter
from tests.web.test_security import PDF, principal


def _receipt_pdf(ctx, world, lang: str, filename: str) -> bytes:
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get(f"/upload/files?lang={lang}").text)
        stored = citizen.post(
            f"/upload/files?lang={lang}",
            data={
                "csrf_token": token,
                "declined_name": "Antrag.docx",
                "declined_reason": "bad_type",
            },
            files=[("files", (filename, PDF, "application/pdf"))],
        )
        assert stored.status_code == 303, stored.text
        receipt = citizen.get(stored.headers["location"]).text
        link = receipt.split('href="/upload/receipts/')[1].split('"')[0]
        assert link.endswith(f"/pdf?lang={lang}")
        answer = citizen.get(f"/upload/receipts/{link}")
        assert answer.headers["content-type"] == "application/pdf"
        return answer.content


@pytest.mark.parametrize(
    ("lang", "filename", "expected"),
    [
        ("ar", "عقد الإيجار.pdf", ["إشعار الاستلام", "عقد الإيجار", "سيتم فحص الملفات وإضافتها"]),
        ("ti", "ውዕል ገዛ.pdf", ["ምርካብ መረጋገጺ", "ውዕል ገዛ", "ዝተቐበልናሉ ዕለት"]),
        ("fa", "قرارداد اجاره.pdf", ["رسید دریافت", "قرارداد اجاره"]),
        ("de", "Lohnabrechnung Mai.pdf", ["Eingangsbestätigung", "Lohnabrechnung Mai.pdf"]),
    ],
)
def test_the_receipt_pdf_is_in_the_citizens_language_and_reads_back(
    ctx, world, lang, filename, expected
):
    pdf = _receipt_pdf(ctx, world, lang, filename)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in expected:
        assert words in text, (words, text)
    assert "\x00" not in text  # no glyph left without a character (the old boxes)
    assert hashlib.sha256(PDF).hexdigest() in text
    assert world.case_a1.aktenzeichen in text
    assert "Antrag.docx" in text  # the refused file is on the receipt too
    root = reader.trailer["/Root"]
    assert root["/Lang"] == lang
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
