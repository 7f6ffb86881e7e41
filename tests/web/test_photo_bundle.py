"""Photos of one paper, sent together, become one PDF document with a page per photo in
the citizen's order; every photo stays stored byte for byte, and the receipt proves each."""

from __future__ import annotations

import hashlib
import io
import uuid

import pikepdf
from PIL import Image
from sqlalchemy import func, select

from akte.core.database import session_scope
from akte.documents.models import Document, DocumentVersion, VersionSource
from akte.uploads.models import UploadReceipt
from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.test_codes import enter
from tests.web.test_security import PDF, principal

JSON = {"Accept": "application/json"}


def _jpeg(width: int, height: int, colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _png_with_alpha(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def _send(citizen, files, bundles):
    token = csrf_of(citizen.get("/upload/files").text)
    return citizen.post(
        "/upload/files",
        data={"csrf_token": token, "bundle": bundles},
        files=[("files", f) for f in files],
        headers=JSON,
    )


def _documents(ctx, world) -> int:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.case_file_id == world.case_a1.id)
        )


def test_photos_of_one_paper_become_one_pdf_and_every_photo_is_kept(ctx, client, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    page1 = _jpeg(600, 800, "white")
    page2 = _jpeg(800, 600, "yellow")  # photographed sideways: a landscape page
    page3 = _png_with_alpha(500, 700)
    files = [
        ("seite-2.jpg", page2, "image/jpeg"),
        ("seite-3.png", page3, "image/png"),
        ("Lohnabrechnung.pdf", PDF, "application/pdf"),
        ("seite-1.jpg", page1, "image/jpeg"),
    ]
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        r = _send(citizen, files, ["3,0,1"])  # the citizen's order: 1, 2, 3
    assert r.status_code == 201, r.text
    answer = r.json()
    stored = {s["index"]: s for s in answer["stored"]}
    assert sorted(stored) == [0, 1, 2, 3] and answer["refused"] == []
    # each file the page sent is confirmed with the hash of exactly its bytes
    for index, (_, data, _) in enumerate(files):
        assert stored[index]["sha256"] == hashlib.sha256(data).hexdigest()
    bundle_id = stored[3]["document_id"]
    assert stored[0]["document_id"] == stored[1]["document_id"] == bundle_id
    assert stored[2]["document_id"] != bundle_id  # the PDF stays a document of its own
    assert _documents(ctx, world) == 2

    # the staff see one PDF with three A4 pages in the citizen's order
    r = client.get(f"/api/v1/documents/{bundle_id}/content", headers=world.headers["caseworker_a1"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(r.content)) as pdf:
        assert len(pdf.pages) == 3
        sizes = []
        for page in pdf.pages:
            [image] = page.get_images().values()
            sizes.append((int(image.Width), int(image.Height)))
            box = [float(v) for v in page.mediabox]
            sizes[-1] += ("landscape" if box[2] > box[3] else "portrait",)
        assert sizes == [(600, 800, "portrait"), (800, 600, "landscape"), (500, 700, "portrait")]
        # a JPEG is embedded as it was sent: no re-encoding, no loss
        [first] = pdf.pages[0].get_images().values()
        assert first.read_raw_bytes() == page1

    with session_scope(ctx.session_factory) as session:
        version = session.scalar(
            select(DocumentVersion).where(DocumentVersion.document_id == uuid.UUID(bundle_id))
        )
        assert version.mime_type == "application/pdf"
        sources = list(
            session.scalars(
                select(VersionSource)
                .where(VersionSource.version_id == version.id)
                .order_by(VersionSource.position)
            )
        )
        assert [s.filename for s in sources] == ["seite-1.jpg", "seite-2.jpg", "seite-3.png"]
        receipt = session.scalar(
            select(UploadReceipt).where(UploadReceipt.case_file_id == world.case_a1.id)
        )
        [composed] = [i for i in receipt.items if i["document_id"] == bundle_id]
        assert [p["sha256"] for p in composed["pages"]] == [
            hashlib.sha256(d).hexdigest() for d in (page1, page2, page3)
        ]
    # the originals are in storage byte for byte (the transparent PNG too)
    for source, data in zip(sources, (page1, page2, page3), strict=True):
        assert ctx.storage.read_bytes(source.sha256) == data


def test_a_bundle_that_names_no_file_or_one_twice_stores_nothing(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    files = [
        ("a.jpg", _jpeg(100, 100, "red"), "image/jpeg"),
        ("b.jpg", _jpeg(100, 120, "blue"), "image/jpeg"),
    ]
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        for bundles in (["0,0"], ["0,1", "1"], ["0,5"], ["zwei"]):
            r = _send(citizen, files, bundles)
            assert r.status_code == 422 and r.json()["error"] == "bad_bundle", (bundles, r.text)
            assert r.json()["stored"] == []
        assert _documents(ctx, world) == 0
        # in the citizen's language
        citizen.cookies.set("akte_lang", "en")
        r = _send(citizen, files, ["0,0"])
        assert "photos belong together" in r.json()["messages"][0]


def test_a_refused_page_is_explained_and_the_others_still_make_one_document(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    files = [
        ("a.jpg", _jpeg(100, 100, "red"), "image/jpeg"),
        ("notiz.docx", b"PK\x03\x04 not a photo", "application/octet-stream"),
        ("b.jpg", _jpeg(100, 120, "blue"), "image/jpeg"),
    ]
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        r = _send(citizen, files, ["0,1,2"])
    assert r.status_code == 201, r.text
    answer = r.json()
    assert [(x["index"], x["reason"]) for x in answer["refused"]] == [(1, "bad_type")]
    assert {s["index"] for s in answer["stored"]} == {0, 2}
    assert len({s["document_id"] for s in answer["stored"]}) == 1
    assert _documents(ctx, world) == 1


def test_without_javascript_the_together_box_makes_one_document_on_the_receipt(ctx, world):
    """The form posted by the browser itself: ``together`` sends all photos as one document
    in the order chosen; the receipt page and PDF list every photo with its hash."""
    import pypdfium2

    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    photos = [
        ("rueckseite.jpg", _jpeg(300, 400, "green"), "image/jpeg"),
        ("vorderseite.jpg", _jpeg(300, 420, "gray"), "image/jpeg"),
    ]
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files?lang=de").text)
        r = citizen.post(
            "/upload/files?lang=de",
            data={"csrf_token": token, "together": "true"},
            files=[("files", f) for f in photos],
        )
        assert r.status_code == 303, r.text
        page = citizen.get(r.headers["location"])
        assert "Seiten dieses Dokuments" in page.text
        for name, data, _ in photos:
            assert name in page.text and hashlib.sha256(data).hexdigest() in page.text
        pdf = citizen.get(r.headers["location"].split("?")[0] + "/pdf?lang=de")
        assert pdf.status_code == 200
        doc = pypdfium2.PdfDocument(pdf.content)
        text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        flat = "".join(text.split())
        for _, data, _ in photos:
            assert hashlib.sha256(data).hexdigest() in flat
    assert _documents(ctx, world) == 1


def test_a_form_posted_after_the_session_ended_says_nothing_was_sent(ctx, world):
    """Without the script: the browser posts the files after the session ended; the code
    page says in the citizen's language that they were not sent, titled as an error."""
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files?lang=en").text)
        citizen.cookies.delete("akte_citizen")  # the session has ended
        assert "akte_citizen" not in citizen.cookies
        r = citizen.post(
            "/upload/files",
            data={"csrf_token": token},
            files=[("files", ("a.jpg", _jpeg(50, 50, "red"), "image/jpeg"))],
        )
        assert r.status_code == 303 and r.headers["location"] == "/upload?ended=1"
        page = citizen.get(r.headers["location"])
        assert page.status_code == 200
        assert "<title>Error:" in page.text
        assert "Your files were NOT sent" in page.text and 'role="alert"' in page.text
    assert _documents(ctx, world) == 0


def test_staff_see_the_photos_as_sent_next_to_the_composed_pdf(ctx, client, world):
    """The document page links every photo the PDF was made of, byte for byte, to those who
    may read the document, and to nobody else (API and page, other tenant and no grant)."""
    from akte.audit.models import AuditEntry
    from tests.web.conftest import login

    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    page1, page2 = _jpeg(600, 800, "white"), _jpeg(800, 600, "yellow")
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        r = _send(
            citizen,
            [("seite-1.jpg", page1, "image/jpeg"), ("seite-2.jpg", page2, "image/jpeg")],
            ["0,1"],
        )
    assert r.status_code == 201, r.text
    document_id = r.json()["stored"][0]["document_id"]

    owner = world.headers["caseworker_a1"]
    detail = client.get(f"/api/v1/documents/{document_id}", headers=owner).json()
    [version] = detail["versions"]
    assert [(s["position"], s["filename"]) for s in version["sources"]] == [
        (1, "seite-1.jpg"),
        (2, "seite-2.jpg"),
    ]
    assert version["sources"][1]["sha256"] == hashlib.sha256(page2).hexdigest()
    api = f"/api/v1/documents/{document_id}/content"
    r = client.get(f"{api}?source=2", headers=owner)
    assert r.status_code == 200 and r.content == page2
    assert (
        r.headers["content-type"] == "image/jpeg"
        and "seite-2.jpg" in r.headers["content-disposition"]
    )
    assert client.get(f"{api}?source=3", headers=owner).status_code == 404
    for outsider in ("caseworker_b", "caseworker_none"):
        assert client.get(f"{api}?source=1", headers=world.headers[outsider]).status_code == 404

    with browser(ctx) as staff:
        login(staff, world.users["caseworker_a1"].username)
        page = staff.get(f"/app/documents/{document_id}").text
        link = f"/app/documents/{document_id}/content?version=1&amp;source=1"
        assert link in page and "seite-1.jpg" in page and "seite-2.jpg" in page
        shown = staff.get(link.replace("&amp;", "&"))
        assert shown.status_code == 200 and shown.content == page1
    with browser(ctx) as other:
        login(other, world.users["caseworker_b"].username)
        refused = other.get(f"/app/documents/{document_id}/content?version=1&source=1")
        assert refused.status_code == 404 and page1 not in refused.content
    with session_scope(ctx.session_factory) as session:
        audited = session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action == "document.download",
                AuditEntry.object_id == document_id,
            )
        ).all()
        assert {"version_no": 1, "rendition": "original", "source": 2} in audited
