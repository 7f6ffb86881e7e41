"""Wiedervorlagen that set themselves: a letter with a deadline leaves one for its writer,
and the citizen's upload with the letter's code marks it "Unterlagen eingegangen"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from akte.case_files.models import CaseFile
from akte.casework.followups import today
from akte.core.database import session_scope
from outbox.models import Letter
from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.test_security import PDF, principal

FORM = {"subject": "Aufforderung zur Mitwirkung", "body": "Bitte senden Sie Kontoauszüge."}


def _addressed(ctx, world) -> None:
    with session_scope(ctx.session_factory) as session:
        for case in (world.case_a1, world.case_a2):
            row = session.get(CaseFile, case.id)
            row.person_name, row.address_lines = "Ayşe Yılmaz", "Am Markt 7\n99999 Neustadt"


def _letter(client, world, who="caseworker_a1", case_file=None, **form):
    case_file = case_file or world.case_a1
    return client.post(
        f"/api/v1/case-files/{case_file.id}/letters",
        headers=world.headers[who],
        data={**FORM, **form},
    )


def _code_id(client, world, code: str) -> str:
    listed = client.get(
        f"/api/v1/case-files/{world.case_a1.id}/upload-codes",
        headers=world.headers["caseworker_a1"],
    ).json()
    from akte.uploads import service as codes

    return next(c["id"] for c in listed if c["prefix"] == codes.normalize(code)[:4])


def _citizen_uploads(ctx, code: str, name: str = "Kontoauszug.pdf") -> None:
    with browser(ctx) as citizen:
        start = citizen.get("/upload")
        assert (
            citizen.post(
                "/upload", data={"code": code, "csrf_token": csrf_of(start.text)}
            ).status_code
            == 303
        )
        page = citizen.get("/upload/files")
        r = citizen.post(
            "/upload/files",
            data={"csrf_token": csrf_of(page.text)},
            files=[("files", (name, PDF, "application/pdf"))],
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 201, r.text


def _mine(client, world, who="caseworker_a1") -> list[dict]:
    r = client.get("/api/v1/follow-ups/mine", headers=world.headers[who])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_letter_with_a_deadline_leaves_a_follow_up_for_its_writer(ctx, client, world):
    _addressed(ctx, world)
    deadline = today() + timedelta(days=14)
    r = _letter(client, world, deadline=deadline.isoformat())
    assert r.status_code == 201, r.text
    letter = r.json()
    [item] = _mine(client, world)
    assert item["origin"] == "letter" and item["document_id"] == letter["document_id"]
    assert item["due_on"] == deadline.isoformat()
    assert item["reason"] == "Frist aus Schreiben „Aufforderung zur Mitwirkung“"
    assert item["papers_received_at"] is None
    # a letter without a deadline leaves nothing behind
    assert _letter(client, world).status_code == 201
    assert len(_mine(client, world)) == 1
    # nobody of another org unit or tenant sees it
    for who in ("caseworker_a2", "caseworker_b"):
        assert item["id"] not in {i["id"] for i in _mine(client, world, who)}
        assert (
            client.get(f"/api/v1/follow-ups/{item['id']}", headers=world.headers[who]).status_code
            == 404
        )


def test_a_deadline_in_the_past_is_refused_before_anything_is_filed(ctx, client, world):
    _addressed(ctx, world)
    r = _letter(client, world, deadline=(today() - timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json()["error"] == "due_in_past"
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Letter)
                .where(Letter.case_file_id == world.case_a1.id)
            )
            == 0
        )
    assert _mine(client, world) == []


def test_a_foreign_upload_code_cannot_be_put_on_a_letter(ctx, client, world):
    _addressed(ctx, world)
    foreign = issue_code(ctx, principal(ctx, world.users["caseworker_a2"]), world.case_a2.id)
    listed = client.get(
        f"/api/v1/case-files/{world.case_a2.id}/upload-codes",
        headers=world.headers["caseworker_a2"],
    ).json()
    assert len(listed) == 1 and foreign
    r = _letter(
        client,
        world,
        deadline=(today() + timedelta(days=7)).isoformat(),
        upload_code_id=listed[0]["id"],
    )
    assert r.status_code == 422 and r.json()["error"] == "upload_code_not_in_akte"
    assert _mine(client, world) == []
    own = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    r = _letter(client, world, upload_code_id=_code_id(client, world, own))  # no deadline
    assert r.status_code == 422 and r.json()["error"] == "deadline_missing"


def test_the_citizens_upload_with_the_letters_code_marks_papers_received(ctx, client, world):
    _addressed(ctx, world)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    other = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    due = today() + timedelta(days=14)
    linked = _letter(
        client, world, deadline=due.isoformat(), upload_code_id=_code_id(client, world, code)
    )
    assert linked.status_code == 201, linked.text
    elsewhere = _letter(
        client,
        world,
        subject="Zweite Aufforderung",
        deadline=due.isoformat(),
        upload_code_id=_code_id(client, world, other),
    )
    assert elsewhere.status_code == 201, elsewhere.text

    _citizen_uploads(ctx, code)

    by_letter = {i["document_id"]: i for i in _mine(client, world)}
    answered = by_letter[linked.json()["document_id"]]
    assert answered["papers_received_at"] is not None
    assert answered["status"] == "open"  # a person decides whether the papers suffice
    assert answered["due_on"] == today().isoformat() and answered["bucket"] == "today"
    received = [e for e in answered["events"] if e["kind"] == "received"]
    assert len(received) == 1 and "Kontoauszug.pdf" in received[0]["note"]
    assert answered["events"][0]["due_on"] == due.isoformat()  # the history keeps the date
    untouched = by_letter[elsewhere.json()["document_id"]]
    assert untouched["papers_received_at"] is None and untouched["due_on"] == due.isoformat()


def test_the_letter_page_takes_a_deadline(ctx, client, world):
    from tests.web.conftest import login

    _addressed(ctx, world)
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    url = f"/app/akten/{world.case_a1.id}/brief"
    form = web.get(url)
    assert 'name="deadline" type="date"' in form.text
    deadline = today() + timedelta(days=5)  # within the week the start page shows
    sent = web.post(
        url,
        data={
            **FORM,
            "csrf_token": csrf_of(form.text),
            "action": "send",
            "deadline": deadline.isoformat(),
        },
    )
    assert sent.status_code == 303, sent.text
    mine = web.get("/app/wiedervorlagen").text
    assert "Frist aus Schreiben „Aufforderung zur Mitwirkung“" in mine
    assert [i["due_on"] for i in _mine(client, world)] == [deadline.isoformat()]
