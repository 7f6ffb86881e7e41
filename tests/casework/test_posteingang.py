"""The Posteingang at speed: titles suggested from the text, several items filed in one
action (all or nothing, only one's own), and a warning when the same bytes already lie in
an Akte the caseworker can open, never naming one they cannot."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from akte.casework.posteingang import suggest_title
from akte.core.database import session_scope
from akte.documents.models import Document
from tests.web.conftest import browser, csrf_of, issue_code, login
from tests.web.test_security import PDF, principal


def test_titles_come_from_the_text_and_the_file_name_only_as_a_last_resort():
    assert (
        suggest_title(
            "IMG_2031.jpg",
            "Lohnabrechnung",
            "Firma Muster GmbH\nEntgeltabrechnung für Mai 2025\nBrutto",
        )
        == "Lohnabrechnung Mai 2025"
    )
    assert (
        suggest_title("scan.pdf", "Kontoauszug", "Kontoauszug 04/2025 Nr. 4")
        == "Kontoauszug April 2025"
    )
    assert suggest_title("scan.pdf", "Mietvertrag", "zwischen A und B") == "Mietvertrag"
    assert (
        suggest_title("scan0003.pdf", None, "12345\nBescheinigung über den Schulbesuch\n...")
        == "Bescheinigung über den Schulbesuch"
    )
    assert suggest_title("Foto_vom_Amt.jpg", None, "") == "Foto vom Amt"


def _citizen_upload(ctx, world, who: str, case_file, filename: str, content: bytes) -> uuid.UUID:
    code = issue_code(ctx, principal(ctx, world.users[who]), case_file.id)
    with browser(ctx) as citizen:
        start = citizen.get("/upload")
        citizen.post("/upload", data={"code": code, "csrf_token": csrf_of(start.text)})
        token = csrf_of(citizen.get("/upload/files").text)
        r = citizen.post(
            "/upload/files",
            data={"csrf_token": token},
            files=[("files", (filename, content, "application/pdf"))],
        )
        assert r.status_code == 303, r.text
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(Document.id).where(
                Document.case_file_id == case_file.id, Document.title == filename
            )
        )


def _pdf(tag: str) -> bytes:
    return PDF + f"% {tag}\n".encode()


def _form(inbox_text: str, items: dict[uuid.UUID, tuple[str, str]], **extra) -> dict:
    return {
        "csrf_token": csrf_of(inbox_text),
        "item": [str(i) for i in items],
        "doc_type": [d for d, _ in items.values()],
        "title": [t for _, t in items.values()],
        **extra,
    }


def test_several_items_are_filed_in_one_action(ctx, world):
    first = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "IMG_1.pdf", _pdf("1"))
    second = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "IMG_2.pdf", _pdf("2"))
    left = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "IMG_3.pdf", _pdf("3"))
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    inbox = client.get("/app/posteingang")
    assert 'action="/app/posteingang/ablegen"' in inbox.text
    # no text recognised (a bare PDF): the file name without extension and underscores
    assert f'id="title-{first}" name="title" value="IMG 1"' in inbox.text
    items = {
        first: ("Kontoauszug", "Kontoauszug März"),
        second: ("Mietvertrag", "Mietvertrag"),
        left: ("Sonstiges", "Rest"),
    }
    r = client.post(
        "/app/posteingang/ablegen", data=_form(inbox.text, items, chosen=[str(first), str(second)])
    )
    assert r.status_code == 303 and r.headers["location"].endswith("msg=filed_many")
    with session_scope(ctx.session_factory) as session:
        rows = {
            d.id: d
            for d in session.scalars(select(Document).where(Document.id.in_([first, second, left])))
        }
        assert (rows[first].filed, rows[first].doc_type, rows[first].title) == (
            True,
            "Kontoauszug",
            "Kontoauszug März",
        )
        assert (rows[second].filed, rows[second].title) == (True, "Mietvertrag")
        assert rows[left].filed is False  # not ticked: still waiting
    after = client.get("/app/posteingang?msg=filed_many").text
    assert "Die ausgewählten Dokumente sind abgelegt." in after
    assert "IMG_3.pdf" in after and "IMG_1.pdf" not in after


def test_a_foreign_item_in_the_selection_files_nothing(ctx, world):
    mine = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "meins.pdf", _pdf("m"))
    foreign = _citizen_upload(ctx, world, "caseworker_a2", world.case_a2, "fremd.pdf", _pdf("f"))
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    inbox = client.get("/app/posteingang").text
    assert str(foreign) not in inbox and "fremd.pdf" not in inbox
    items = {mine: ("Sonstiges", "Meins"), foreign: ("Sonstiges", "Fremd")}
    r = client.post(
        "/app/posteingang/ablegen", data=_form(inbox, items, chosen=[str(mine), str(foreign)])
    )
    assert r.status_code == 404
    with session_scope(ctx.session_factory) as session:
        assert session.get(Document, mine).filed is False  # all or nothing
        assert session.get(Document, foreign).filed is False


def test_the_same_bytes_in_a_visible_akte_are_flagged_and_a_hidden_one_is_not_named(ctx, world):
    twice = _pdf("same")
    earlier = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "erst.pdf", twice)
    hidden = _citizen_upload(ctx, world, "caseworker_a2", world.case_a2, "anderswo.pdf", twice)
    again = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "nochmal.pdf", twice)
    alone = _citizen_upload(
        ctx, world, "caseworker_a1", world.case_a1, "einzeln.pdf", _pdf("alone")
    )
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    page = client.get("/app/posteingang").text
    article = page.split(f'aria-labelledby="h-{again}"')[1].split("</article>")[0]
    assert "Diese Datei liegt schon vor" in article
    assert f'href="/app/documents/{earlier}"' in article
    assert str(hidden) not in page and world.case_a2.aktenzeichen not in page
    lone = page.split(f'aria-labelledby="h-{alone}"')[1].split("</article>")[0]
    assert "Diese Datei liegt schon vor" not in lone
    # the other org unit sees its own copy flagged by nothing of ours
    other = browser(ctx)
    login(other, world.users["caseworker_a2"].username)
    theirs = other.get("/app/posteingang").text
    assert "anderswo.pdf" in theirs and "Diese Datei liegt schon vor" not in theirs
    assert str(earlier) not in theirs and world.case_a1.aktenzeichen not in theirs


def test_the_api_lists_only_ones_own_items_and_files_all_or_nothing(ctx, client, world):
    twice = _pdf("api-same")
    mine = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "IMG_7.pdf", twice)
    copy = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "kopie.pdf", twice)
    foreign = _citizen_upload(ctx, world, "caseworker_a2", world.case_a2, "fremd.pdf", twice)
    h = world.headers["caseworker_a1"]
    listed = client.get("/api/v1/inbox", headers=h)
    assert listed.status_code == 200, listed.text
    by_id = {i["document"]["id"]: i for i in listed.json()}
    assert set(by_id) == {str(mine), str(copy)}  # never the other org unit's
    assert by_id[str(mine)]["suggested_title"] == "IMG 7"
    assert [d["document_id"] for d in by_id[str(mine)]["same_bytes"]] == [str(copy)]
    for who in ("caseworker_b", "caseworker_none"):
        seen = {
            i["document"]["id"]
            for i in client.get("/api/v1/inbox", headers=world.headers[who]).json()
        }
        assert not seen & {str(mine), str(copy), str(foreign)}
    items = [
        {"document_id": str(mine), "doc_type": "Kontoauszug", "title": "Kontoauszug"},
        {"document_id": str(foreign), "doc_type": "Kontoauszug", "title": "Fremd"},
    ]
    r = client.post("/api/v1/inbox/file", json={"items": items}, headers=h)
    assert r.status_code == 404
    with session_scope(ctx.session_factory) as session:
        assert session.get(Document, mine).filed is False
    r = client.post("/api/v1/inbox/file", json={"items": items[:1]}, headers=h)
    assert r.status_code == 200 and r.json()[0]["doc_type"] == "Kontoauszug"
    assert {i["document"]["id"] for i in client.get("/api/v1/inbox", headers=h).json()} == {
        str(copy)
    }
    theirs = [{"document_id": str(copy), "doc_type": "Sonstiges", "title": "Import"}]
    r = client.post(
        "/api/v1/inbox/file", json={"items": theirs}, headers=world.headers["importer_a"]
    )
    assert r.status_code in (403, 404)  # the importer role files nothing
    with session_scope(ctx.session_factory) as session:
        assert session.get(Document, copy).filed is False


def test_a_rejection_is_a_state_of_the_document_the_api_shows(ctx, client, world):
    doc = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "IMG_r.pdf", _pdf("r"))
    cw, other = world.headers["caseworker_a1"], world.headers["caseworker_b"]
    # refused without a reason, or by someone who cannot see the Akte
    assert (
        client.post(f"/api/v1/inbox/{doc}/reject", json={"reason": ""}, headers=cw).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/inbox/{doc}/reject", json={"reason": "unleserlich"}, headers=other
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/inbox/{doc}/reject", json={"reason": "Seite 2 unleserlich"}, headers=cw
    )
    assert r.status_code == 204, r.text
    read = client.get(f"/api/v1/documents/{doc}", headers=cw).json()
    assert read["rejection_reason"] == "Seite 2 unleserlich" and read["rejected_at"]
    assert read["filed"] is False
    waiting = [i["document"]["id"] for i in client.get("/api/v1/inbox", headers=cw).json()]
    assert str(doc) not in waiting
    r = client.post(
        "/api/v1/inbox/file",
        headers=cw,
        json={
            "items": [{"document_id": str(doc), "doc_type": "Sonstiges", "title": "Doch ablegen"}]
        },
    )
    assert r.status_code == 409 and r.json()["error"] == "rejected"
    # a filed document is no Posteingang item to refuse
    filed = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=cw,
        files={"file": ("f.pdf", _pdf("filed"), "application/pdf")},
    ).json()
    r = client.post(f"/api/v1/inbox/{filed['id']}/reject", json={"reason": "x"}, headers=cw)
    assert r.status_code == 409 and r.json()["error"] == "already_filed"
    assert filed["rejected_at"] is None and filed["rejection_reason"] is None
