"""Text is never lost silently: short text layers are kept, one bad page does not sink the
others, and a bad file gets the same verdict from the import and from the upload."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.tenants.models import Tenant
from ingest import pdf
from ingest.deliveries.checks import Rejection, count_pages
from ingest.limits import Limits, ProcessingFailed
from ingest.processor import process_file
from tests.builders import World
from tests.client import TestClient
from tests.ingest import samples
from tests.ingest.conftest import add_document, load, process
from tests.ingest.samples import LETTER, NOTICE, cer


def _joined(*parts: bytes) -> bytes:
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _archive_texts(ctx: AppContext, sha256: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "archive.pdf"
    path.write_bytes(b"".join(ctx.storage.iter_range(sha256)))
    document = pdfium.PdfDocument(str(path))
    try:
        return [pdf.page_text(document[i]) for i in range(len(document))]
    finally:
        document.close()


@pytest.mark.parametrize("words", ["Dummy PDF file", "Anlage 3"])
def test_a_short_text_layer_is_kept_when_ocr_reads_no_more(
    ctx: AppContext, world: World, words: str
) -> None:
    document_id = add_document(ctx, world, samples.text_pdf([[words]]))
    process(ctx)
    document, _, pages = load(ctx, document_id)
    assert document.status == "ready", document.status_reason
    assert [(p.method, p.text) for p in pages] == [("text-layer", words)]


def test_a_text_layer_with_unmapped_glyphs_is_read_by_ocr(tmp_path: Path) -> None:
    """No ToUnicode map: pdfium gives "M\x01ller" and drops the ä of "März"; such a page
    is OCR'd, so "Müller" and "März" can be found."""
    path = tmp_path / "ohne-unicode.pdf"
    path.write_bytes(samples.without_unicode_map(samples.text_pdf([LETTER])))
    processed = process_file(path, tmp_path / "work")
    [page] = processed.pages
    assert page.method == "ocr"
    assert "Müller" in page.text and "März" in page.text
    assert cer("\n".join(LETTER), page.text) < 0.03


def test_one_unprocessable_page_fails_alone(
    ctx: AppContext, client: TestClient, world: World, tmp_path: Path
) -> None:
    data = _joined(
        samples.text_pdf([LETTER]),
        samples.huge_image_pdf(),
        samples.image_pdf([samples.render_lines(NOTICE)]),
    )
    document_id = add_document(ctx, world, data, "akte.pdf")
    process(ctx)
    document, version, pages = load(ctx, document_id)
    assert document.status == "ready"
    assert document.status_reason.startswith("ready with problems: page 2 contains an image")
    assert [p.method for p in pages] == ["text-layer", "failed", "ocr"]
    assert "megapixels" in pages[1].problem and pages[1].text == ""
    assert cer(" ".join(NOTICE), pages[2].text) < 0.05
    # archive page N is still original page N; the stand-in says why
    texts = _archive_texts(ctx, version.archive_sha256, tmp_path)
    assert len(texts) == 3
    assert "Seite 2" not in texts[0] and LETTER[0] in texts[0]
    response = client.get(
        f"/api/v1/documents/{document_id}/pages", headers=world.headers["caseworker_a1"]
    )
    assert response.status_code == 200
    assert response.json()[1]["method"] == "failed"
    assert "megapixels" in response.json()[1]["problem"]


def test_a_broken_frame_of_a_fax_fails_alone(tmp_path: Path) -> None:
    small = samples.render_lines(NOTICE[:3])
    large = Image.new("L", (small.width, small.height * 3), 255)
    path = tmp_path / "fax.tif"
    path.write_bytes(samples.fax_tiff([small, large, small]))
    limits = Limits(max_pixels=small.width * small.height * 2, ocr_workers=2)
    guard = Image.MAX_IMAGE_PIXELS
    processed = process_file(path, tmp_path / "work", limits)
    assert [p.method for p in processed.pages] == ["ocr", "failed", "ocr"]
    # the file's limit held for its pages only: the process's other images keep theirs
    assert guard == Image.MAX_IMAGE_PIXELS
    assert "page 2 is" in processed.pages[1].problem
    assert processed.summary().startswith("ready with problems: page 2 is")
    assert cer(" ".join(NOTICE[:3]), processed.pages[2].text) < 0.05


def test_a_document_whose_every_page_fails_is_failed(tmp_path: Path) -> None:
    path = tmp_path / "both.pdf"
    path.write_bytes(_joined(samples.huge_image_pdf(), samples.huge_image_pdf()))
    with pytest.raises(ProcessingFailed, match="page 1 contains an image") as info:
        process_file(path, tmp_path / "work")
    assert "page 2 contains an image" in str(info.value)


def test_import_and_upload_give_one_verdict_for_a_protected_pdf(
    ctx: AppContext, client: TestClient, world: World, tmp_path: Path
) -> None:
    data = samples.encrypted_pdf()
    path = tmp_path / "geschuetzt.pdf"
    path.write_bytes(data)
    with pytest.raises(Rejection) as refused:
        count_pages(path, "application/pdf")
    document_id = add_document(ctx, world, data, "geschuetzt.pdf", mime="application/pdf")
    process(ctx)
    document, _, _ = load(ctx, document_id)
    assert document.status == "failed"
    assert document.status_reason == refused.value.message == pdf.PASSWORD_PROTECTED
    assert "PDFium" not in document.status_reason
    # the archive route says it failed and why, not "not yet"
    response = client.get(
        f"/api/v1/documents/{document_id}/content?rendition=archive",
        headers=world.headers["caseworker_a1"],
    )
    assert response.status_code == 404
    assert response.json()["error"] == "processing_failed"
    assert "password-protected" in response.json()["detail"]


def test_ocr_languages_are_a_tenant_option_of_installed_languages(
    ctx: AppContext, client: TestClient, world: World
) -> None:
    headers = world.headers["admin_a"]
    response = client.patch(
        "/api/v1/tenants/current/options",
        headers=headers,
        json={"ocr_languages": ["deu", "klingon"]},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_option"
    assert "klingon" in response.json()["detail"] and "deu" in response.json()["detail"]
    response = client.patch(
        "/api/v1/tenants/current/options", headers=headers, json={"ocr_languages": ["deu", "eng"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["ocr_languages"] == ["deu", "eng"]


def test_a_language_missing_on_the_worker_is_said_not_silently_skipped(
    ctx: AppContext, world: World
) -> None:
    """Set on a host that has Turkish; this worker has not: read in German, and say so."""
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        tenant.options = {**(tenant.options or {}), "ocr_languages": ["deu", "tur"]}
    document_id = add_document(
        ctx, world, samples.png_bytes(samples.render_lines(NOTICE)), "scan.png"
    )
    process(ctx)
    document, _, pages = load(ctx, document_id)
    assert document.status == "ready"
    assert "tur not installed" in document.status_reason
    assert cer(" ".join(NOTICE), pages[0].text) < 0.05
