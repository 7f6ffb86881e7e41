"""Each tenant's Dokumentarten: its admin keeps the list and the keywords, the Posteingang
suggests and files from it, and another tenant neither sees nor uses it."""

from __future__ import annotations

from sqlalchemy import select

from akte.casework.doctypes import DEFAULT_DOKUMENTARTEN, Entry, suggest
from akte.core.database import session_scope
from akte.documents.models import Document, DocumentPage, DocumentVersion
from tests.casework.test_posteingang import _citizen_upload, _form, _pdf
from tests.web.conftest import browser, login

OURS = {
    "items": [
        {"name": "Bürgergeld-Antrag", "keywords": ["Bürgergeld", "WBA"]},
        {"name": "Nachweis Kita", "keywords": ["kita-beitrag", "kindertagesstätte"]},
    ]
}


def test_the_longest_keyword_wins():
    assert (
        suggest(DEFAULT_DOKUMENTARTEN, "Weiterbewilligungsantrag 2025")
        == "Weiterbewilligungsantrag"
    )
    assert (
        suggest(
            [Entry("A", ("antrag",)), Entry("B", ("bürgergeldantrag",))],
            "Bürgergeldantrag vom 3.5.",
        )
        == "B"
    )
    assert suggest(DEFAULT_DOKUMENTARTEN, "Sehr geehrte Damen und Herren") is None


def test_only_the_tenants_admin_changes_the_list_and_it_stays_in_its_tenant(client, world):
    for who in ("caseworker_a1", "importer_a", "system_admin"):
        r = client.put("/api/v1/dokumentarten", json=OURS, headers=world.headers[who])
        assert r.status_code == 403, (who, r.text)
    r = client.put("/api/v1/dokumentarten", json=OURS, headers=world.headers["admin_a"])
    assert r.status_code == 200, r.text
    assert r.json()["items"][0] == {"name": "Bürgergeld-Antrag", "keywords": ["bürgergeld", "wba"]}
    a = client.get("/api/v1/dokumentarten", headers=world.headers["caseworker_a1"]).json()
    assert [i["name"] for i in a["items"]] == ["Bürgergeld-Antrag", "Nachweis Kita"]
    b = client.get("/api/v1/dokumentarten", headers=world.headers["caseworker_b"]).json()
    assert [i["name"] for i in b["items"]] == [e.name for e in DEFAULT_DOKUMENTARTEN]
    r = client.put(
        "/api/v1/dokumentarten",
        headers=world.headers["admin_a"],
        json={"items": [{"name": "Bescheid"}, {"name": "bescheid "}]},
    )
    assert r.status_code == 409 and r.json()["error"] == "duplicate_dokumentart"


def test_the_posteingang_suggests_and_files_from_the_tenants_list(ctx, client, world):
    client.put("/api/v1/dokumentarten", json=OURS, headers=world.headers["admin_a"])
    doc = _citizen_upload(ctx, world, "caseworker_a1", world.case_a1, "scan.pdf", _pdf("kita"))
    with session_scope(ctx.session_factory) as session:  # as processing leaves it
        version = session.scalar(select(DocumentVersion).where(DocumentVersion.document_id == doc))
        session.add(
            DocumentPage(
                version_id=version.id,
                page_no=1,
                method="ocr",
                text="Stadt Neustadt\nBescheinigung Kita-Beitrag für März 2025",
            )
        )
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    inbox = web.get("/app/posteingang").text
    offered = inbox.split(f'id="type-{doc}"', 1)[1].split("</select>", 1)[0]
    assert "<option selected>Nachweis Kita</option>" in offered
    assert "Lohnabrechnung" not in offered  # a default, not on this tenant's list
    assert f'id="title-{doc}" name="title" value="Nachweis Kita März 2025"' in inbox
    refused = web.post(
        "/app/posteingang/ablegen", data=_form(inbox, {doc: ("Lohnabrechnung", "X")}, only=str(doc))
    )
    assert refused.status_code == 422 and "nicht in der Liste" in refused.text
    filed = web.post(
        "/app/posteingang/ablegen",
        data=_form(inbox, {doc: ("nachweis kita", "Nachweis Kita März 2025")}, only=str(doc)),
    )
    assert filed.status_code == 303, filed.text
    with session_scope(ctx.session_factory) as session:
        row = session.get(Document, doc)
        assert (row.filed, row.doc_type) == (True, "Nachweis Kita")


def test_the_tenant_admin_keeps_the_dokumentarten_on_a_page(ctx, world):
    from tests.web.conftest import csrf_of

    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    page = admin.get("/app/dokumentarten")
    assert page.status_code == 200
    assert "Lohnabrechnung: lohnabrechnung, entgeltabrechnung, gehaltsabrechnung" in page.text
    saved = admin.post(
        "/app/dokumentarten",
        data={
            "csrf_token": csrf_of(page.text),
            "lines": "Nachweis Kita: Kita-Beitrag\nSonstiges\n",
        },
    )
    assert saved.status_code == 303
    after = admin.get(saved.headers["location"]).text
    assert "Die Liste der Dokumentarten ist gespeichert." in after
    listed = after.split('name="lines"', 1)[1].split("</textarea>", 1)[0]
    assert listed.split(">", 1)[1] == "Nachweis Kita: kita-beitrag\nSonstiges"
    cw = browser(ctx)
    login(cw, world.users["caseworker_a1"].username)
    assert cw.get("/app/dokumentarten").status_code == 403
