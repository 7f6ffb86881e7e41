"""The citizen's status page: with their code only, what they handed in and its state."""

from __future__ import annotations

import uuid

from akte.core.database import session_scope
from akte.inbox import service as inbox
from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.test_codes import enter
from tests.web.test_security import PDF, principal

JSON = {"Accept": "application/json"}


def _upload(citizen, name: str, data: bytes) -> str:
    token = csrf_of(citizen.get("/upload/files").text)
    answer = citizen.post(
        "/upload/files",
        data={"csrf_token": token},
        files=[("files", (name, data, "application/pdf"))],
        headers=JSON,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["stored"][0]["document_id"]


def test_each_code_sees_only_its_own_uploads_and_their_state(ctx, world):
    caseworker = principal(ctx, world.users["caseworker_a1"])
    first = issue_code(ctx, caseworker, world.case_a1.id)
    second = issue_code(ctx, caseworker, world.case_a1.id)  # same Akte, another code
    with browser(ctx) as citizen_a, browser(ctx) as citizen_b:
        assert enter(citizen_a, first).status_code == 303
        assert enter(citizen_b, second).status_code == 303
        assert "noch nichts gesendet" in citizen_a.get("/upload/status").text
        kept = _upload(citizen_a, "Lohnabrechnung-A.pdf", PDF + b"a1")
        blurred = _upload(citizen_a, "Kontoauszug-A.pdf", PDF + b"a2")
        waiting = _upload(citizen_a, "Mietvertrag-A.pdf", PDF + b"a3")
        foreign = _upload(citizen_b, "Geheim-B.pdf", PDF + b"b1")
        with session_scope(ctx.session_factory) as session:
            inbox.file_document(
                session, caseworker, uuid.UUID(kept), doc_type="Lohnabrechnung", title="Lohn"
            )
            inbox.reject(session, caseworker, uuid.UUID(blurred), reason="Seite 2 unleserlich")

        page = citizen_a.get("/upload/status?lang=de")
        assert page.status_code == 200
        text = page.text
        assert "<title>Stand Ihrer Unterlagen" in text
        items = {
            part.split("<bdi>")[1].split("</bdi>")[0]: part
            for part in text.split('<li data-state="')[1:]
        }
        assert set(items) == {"Lohnabrechnung-A.pdf", "Kontoauszug-A.pdf", "Mietvertrag-A.pdf"}
        assert items["Lohnabrechnung-A.pdf"].startswith("filed")
        assert "In Ihre Akte aufgenommen" in items["Lohnabrechnung-A.pdf"]
        assert items["Kontoauszug-A.pdf"].startswith("returned")
        assert "Seite 2 unleserlich" in items["Kontoauszug-A.pdf"]
        assert "noch einmal" in items["Kontoauszug-A.pdf"]  # the plain next step
        assert items["Mietvertrag-A.pdf"].startswith("received")
        # Nothing of the other code: not its file, not its document id.
        assert "Geheim-B.pdf" not in text and foreign not in text
        assert waiting not in text  # ids are not shown at all

        other = citizen_b.get("/upload/status?lang=en").text
        assert "Geheim-B.pdf" in other and "Received – being checked" in other
        assert all(name not in other for name in items)
        assert all(doc_id not in other for doc_id in (kept, blurred, waiting))


def test_the_status_needs_a_code_session(ctx, world):
    with browser(ctx) as stranger:
        refused = stranger.get("/upload/status")
        assert refused.status_code == 303 and refused.headers["location"] == "/upload"
        assert stranger.get("/upload/status", headers=JSON).status_code == 401


def _title(html: str) -> str:
    return html.split("<title>")[1].split("</title>")[0]


def test_every_step_has_its_own_title_and_errors_say_so_in_the_language(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        start = citizen.get("/upload?lang=de").text
        token = csrf_of(start)
        wrong = citizen.post("/upload", data={"code": "ABCD-EFGH-JKMN-PQRS", "csrf_token": token})
        assert enter(citizen, code).status_code == 303
        files = citizen.get("/upload/files").text
        none_chosen = citizen.post("/upload/files", data={"csrf_token": token})
        stored = citizen.post(
            "/upload/files",
            data={"csrf_token": token},
            files=[("files", ("a.pdf", PDF, "application/pdf"))],
        )
        receipt = citizen.get(stored.headers["location"]).text
        status = citizen.get("/upload/status").text
        missing = citizen.get(f"/upload/receipts/{uuid.uuid4()}?lang=ar")
        forged = citizen.post("/upload/leave?lang=ti", data={"csrf_token": "0" * 64})
        bye = citizen.post("/upload/leave", data={"csrf_token": token}).text
    titles = [_title(p) for p in (start, files, receipt, status, bye)]
    assert len(set(titles)) == len(titles), titles
    assert all("Fehler" not in t for t in titles)
    assert _title(start).startswith("Code eingeben")
    assert wrong.status_code == 400 and _title(wrong.text).startswith("Fehler: Code eingeben")
    assert none_chosen.status_code == 400
    assert _title(none_chosen.text).startswith("Fehler: Dateien senden")
    # A foreign or unknown receipt: the portal's own page, in Arabic, titled "error".
    assert missing.status_code == 404
    assert _title(missing.text).startswith("خطأ")
    assert 'lang="ar"' in missing.text and "هذه الصفحة غير موجودة" in missing.text
    # A CSRF failure on the Tigrinya portal is explained in Tigrinya, not in English.
    assert forged.status_code == 403
    assert _title(forged.text).startswith("ጌጋ")
    assert "ገጽ ኣረጊቱ" in forged.text and "token" not in forged.text
