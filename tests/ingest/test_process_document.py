"""The ``ingest.process_document`` job on both backends: upload → ready (or failed)."""

from __future__ import annotations

import hashlib
import io

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import delete, func, select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.models import Document
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from tests.builders import World
from tests.client import TestClient
from tests.ingest import samples
from tests.ingest.conftest import add_document, load, process
from tests.ingest.samples import LETTER, NOTICE, cer


def test_upload_is_processed_to_ready_with_pages_archive_and_thumbnail(
    ctx: AppContext, client: TestClient, world: World
) -> None:
    data = samples.text_pdf([LETTER, NOTICE])
    headers = world.headers["caseworker_a1"]
    response = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("brief.pdf", data, "application/pdf")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    assert response.json()["status"] == "received"  # returned before any processing

    process(ctx)

    detail = client.get(f"/api/v1/documents/{document_id}", headers=headers).json()
    assert detail["status"] == "ready" and detail["status_reason"] is None
    assert detail["page_count"] == 2
    pages = client.get(f"/api/v1/documents/{document_id}/pages", headers=headers).json()
    assert [p["method"] for p in pages] == ["text-layer", "text-layer"]
    assert "Lohnabrechnungen" in pages[0]["text"] and "Sozialgesetzbuch" in pages[1]["text"]

    base = f"/api/v1/documents/{document_id}/content"
    archive = client.get(base, params={"rendition": "archive"}, headers=headers)
    assert archive.status_code == 200 and archive.content.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(archive.content)
    assert len(pdf) == 2
    assert "Größe" in pdf[0].get_textpage().get_text_range()
    pdf.close()
    thumb = client.get(base, params={"rendition": "thumbnail"}, headers=headers)
    assert Image.open(io.BytesIO(thumb.content)).width == 300
    original = client.get(base, headers=headers)
    assert original.content == data  # the original is untouched

    with session_scope(ctx.session_factory) as session:
        kinds = session.scalars(
            select(Job.payload).where(Job.kind == "search.index_document")
        ).all()
    assert {"document_id": document_id} in kinds  # search learns of the ready document


def test_scan_is_ocrd_and_original_kept(ctx: AppContext, world: World) -> None:
    data = samples.png_bytes(samples.render_lines(NOTICE, width=1800))
    document_id = add_document(ctx, world, data, "scan.png")
    process(ctx)
    document, current, pages = load(ctx, document_id)
    assert document.status == "ready"
    [page] = pages
    assert page.method == "ocr" and page.confidence and page.confidence > 80
    assert cer("\n".join(NOTICE), page.text) < 0.02
    stored = ctx.storage.read_bytes(current.sha256)
    assert hashlib.sha256(stored).hexdigest() == current.sha256 == hashlib.sha256(data).hexdigest()
    assert current.archive_sha256 not in (None, current.sha256)
    assert ctx.storage.stat(current.archive_sha256) is not None
    assert ctx.storage.stat(current.thumbnail_sha256) is not None


def test_running_the_job_again_changes_nothing(ctx: AppContext, world: World) -> None:
    document_id = add_document(ctx, world, samples.text_pdf([LETTER, NOTICE, LETTER]))
    process(ctx)
    _, first, first_pages = load(ctx, document_id)
    with session_scope(ctx.session_factory) as session:
        jobs.enqueue(
            session, "ingest.process_document", {"document_id": str(document_id), "version_no": 1}
        )
    process(ctx)
    document, again, again_pages = load(ctx, document_id)
    assert document.status == "ready"
    assert [p.text for p in again_pages] == [p.text for p in first_pages]
    assert len(again_pages) == 3
    # Same input, same archive bytes: a rerun after a crash leaves no second archive.
    assert again.archive_sha256 == first.archive_sha256
    assert again.thumbnail_sha256 == first.thumbnail_sha256


def test_a_deleted_document_ends_the_job_quietly(ctx: AppContext, world: World) -> None:
    document_id = add_document(ctx, world, samples.text_pdf([LETTER]))
    with session_scope(ctx.session_factory) as session:
        session.execute(delete(Document).where(Document.id == document_id))
        job_id = session.scalar(
            select(func.max(Job.id)).where(Job.kind == "ingest.process_document")
        )
    process(ctx)
    with session_scope(ctx.session_factory) as session:
        assert session.get(Job, job_id).status == "done"
        assert session.get(Document, document_id) is None


BAD_INPUTS = {
    "truncated": (samples.truncated_pdf, "application/pdf", "PDF is damaged"),
    "encrypted": (samples.encrypted_pdf, "application/pdf", "PDF is password-protected"),
    "huge page": (samples.huge_page_pdf, "application/pdf", "page 1 is too large to render"),
    "huge image in PDF": (
        samples.huge_image_pdf,
        "application/pdf",
        "page 1 contains an image of 1,225 megapixels",
    ),
    "decompression bomb": (samples.bomb_png, "image/png", "larger than the pixel limit"),
    "empty": (lambda: b"", "application/pdf", "the file is empty (0 bytes)"),
    "broken IFD": (samples.broken_ifd_tiff, "image/tiff", "the image file is damaged"),
    "zip": (samples.zip_bytes, "application/pdf", "not a supported file type: application/zip"),
}


def test_bad_inputs_fail_with_a_reason_and_the_next_job_still_runs(
    ctx: AppContext, world: World
) -> None:
    failing = {
        name: add_document(ctx, world, make(), f"{name}.bin", mime=mime)
        for name, (make, mime, _) in BAD_INPUTS.items()
    }
    good = add_document(ctx, world, samples.text_pdf([LETTER]))
    process(ctx)
    for name, document_id in failing.items():
        document, current, pages = load(ctx, document_id)
        assert document.status == "failed", name
        assert BAD_INPUTS[name][2] in (document.status_reason or ""), (name, document.status_reason)
        assert pages == [] and current.archive_sha256 is None
    with session_scope(ctx.session_factory) as session:
        payloads = session.execute(
            select(Job.payload, Job.status, Job.attempts).where(
                Job.kind == "ingest.process_document"
            )
        ).all()
    outcome = {p["document_id"]: (status, attempts) for p, status, attempts in payloads}
    for document_id in failing.values():
        assert outcome[str(document_id)] == ("done", 1)  # no retries of hopeless input
    assert load(ctx, good)[0].status == "ready"


def test_empty_and_foreign_files_are_refused_at_upload(client: TestClient, world: World) -> None:
    url = f"/api/v1/case-files/{world.case_a1.id}/documents"
    headers = world.headers["caseworker_a1"]
    empty = client.post(url, files={"file": ("leer.pdf", b"", "application/pdf")}, headers=headers)
    assert empty.status_code == 422
    zipped = client.post(
        url, files={"file": ("a.pdf", samples.zip_bytes(), "application/pdf")}, headers=headers
    )
    assert zipped.status_code == 415
    assert "application/zip" in zipped.json()["detail"]


@pytest.mark.timeout(120)
def test_a_2000_page_pdf_is_ready_in_bounded_time(ctx: AppContext, world: World) -> None:
    import time

    document_id = add_document(ctx, world, samples.many_pages_pdf(2000))
    started = time.monotonic()
    process(ctx)
    elapsed = time.monotonic() - started
    document, current, pages = load(ctx, document_id)
    assert document.status == "ready", document.status_reason
    assert current.page_count == 2000 and len(pages) == 2000
    assert pages[-1].page_no == 2000 and "Grüßen" in pages[-1].text
    assert elapsed < 60


def test_a_document_over_the_memory_limit_fails_alone_and_the_worker_goes_on(
    ctx: AppContext, world: World
) -> None:
    """Each document is processed in a child whose address space may grow by the cap
    beyond what it starts with (preloaded engines): a scan that needs more fails with a
    reason naming the limit, and the same worker then processes the next job (here: the
    same document with the normal cap) as usual."""
    import dataclasses

    from ingest.tasks import process_document

    scan = samples.render_lines(LETTER)
    document_id = add_document(ctx, world, samples.image_pdf([scan]))
    payload = {"document_id": str(document_id), "version_no": 1}
    starved = dataclasses.replace(
        ctx, settings=ctx.settings.model_copy(update={"processing_memory_mb": 4})
    )
    process_document(starved, payload)
    document, _, pages = load(ctx, document_id)
    assert document.status == "failed"
    assert "memory limit of 4 MB" in (document.status_reason or "")

    process_document(ctx, payload)
    document, _, pages = load(ctx, document_id)
    assert document.status == "ready" and len(pages) == 1
    assert cer("\n".join(LETTER), pages[0].text) < 0.05


def _letter_pdf(font: str) -> bytes:
    """A born-digital letter in ``font``: Helvetica is never embedded, DejaVu Serif is."""
    from reportlab.pdfgen import canvas

    samples._register_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, initialFontName=font)
    pdf.setFont(font, 12)
    pdf.drawString(72, 770, "Bescheid über Leistungen nach dem SGB II vom 1. März")
    pdf.save()
    return buffer.getvalue()


def test_archive_pdfa_status_is_shown_in_the_api_and_on_the_document_page(
    ctx: AppContext, client: TestClient, world: World
) -> None:
    """Whether the archive is PDF/A-2b, and if not the first reason, is kept per version."""
    from tests.builders import PASSWORD
    from tests.web.conftest import browser, login

    headers = world.headers["caseworker_a1"]
    ids = {}
    for name, data in [
        ("brief.pdf", _letter_pdf("DejaVuSerif")),
        ("helvetica.pdf", _letter_pdf("Helvetica")),
    ]:
        response = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": (name, data, "application/pdf")},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
        assert response.json()["archive_pdfa"] is None  # no archive yet
    process(ctx)

    declared = client.get(f"/api/v1/documents/{ids['brief.pdf']}", headers=headers).json()
    assert declared["status"] == "ready"
    assert declared["archive_pdfa"] is True and declared["archive_pdfa_problem"] is None
    assert declared["versions"][0]["archive_pdfa"] is True
    refused = client.get(f"/api/v1/documents/{ids['helvetica.pdf']}", headers=headers).json()
    assert refused["status"] == "ready"
    assert refused["archive_pdfa"] is False
    assert refused["archive_pdfa_problem"] == "page 1: font Helvetica is not embedded"
    assert refused["versions"][0]["archive_pdfa_problem"] == refused["archive_pdfa_problem"]

    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username, PASSWORD)
        page = web.get(f"/app/documents/{ids['helvetica.pdf']}")
        assert page.status_code == 200
        assert "kein PDF/A: page 1: font Helvetica is not embedded" in page.text
        assert "PDF/A-2b" in web.get(f"/app/documents/{ids['brief.pdf']}").text
