"""The portal session: it ends, warns, can be extended, and an ended session is never
answered in a way the upload script could mistake for success."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import func, select

from akte.core.database import session_scope
from akte.core.security import read_token_claims
from akte.documents.models import Document
from akte.web import sessions
from tests.web.conftest import browser, code_row, csrf_of, issue_code
from tests.web.test_codes import enter
from tests.web.test_security import PDF, principal

JSON = {"Accept": "application/json"}


def _citizen_uploads(ctx, case_file_id) -> int:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.case_file_id == case_file_id, Document.source == "citizen-upload")
        )


def _expire(ctx, client, code: str) -> None:
    """What two hours of waiting do: the cookie's token is past its end."""
    token = sessions.citizen_token(
        ctx.settings.effective_secret_key, code_row(ctx, code).id, ttl_seconds=-1
    )
    _replace_cookie(client, token)


def _replace_cookie(client, token: str) -> None:
    (jar_cookie,) = [c for c in client.cookies.jar if c.name == sessions.CITIZEN_COOKIE]
    client.cookies.set(sessions.CITIZEN_COOKIE, token, domain=jar_cookie.domain, path="/")


def test_an_ended_session_answers_the_script_with_json_401_and_stores_nothing(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    before = _citizen_uploads(ctx, world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files?lang=ar").text)
        _expire(ctx, citizen, code)
        answer = citizen.post(
            "/upload/files?lang=ar",
            data={"csrf_token": token},
            files=[("files", ("bescheid.pdf", PDF, "application/pdf"))],
            headers=JSON,
        )
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["error"] == "session_expired"
        assert "انتهت جلستك" in answer.json()["detail"]  # in the citizen's language
        # A page request still goes to the code page.
        assert citizen.get("/upload/files").headers["location"] == "/upload"
        # The code typed again on the same page (the script's JSON request) opens a new
        # session, and the same files are then stored.
        again = citizen.post(
            "/upload?lang=ar", data={"code": code, "csrf_token": token}, headers=JSON
        )
        assert again.status_code == 200 and again.json()["session_ends"] > time.time()
        retry = citizen.post(
            "/upload/files?lang=ar",
            data={"csrf_token": token},
            files=[("files", ("bescheid.pdf", PDF, "application/pdf"))],
            headers=JSON,
        )
        assert retry.status_code == 201
        assert retry.json()["stored"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert _citizen_uploads(ctx, world.case_a1.id) == before + 1


def test_a_wrong_code_typed_again_is_a_json_error_in_the_language(ctx, world):
    with browser(ctx) as citizen:
        token = csrf_of(citizen.get("/upload?lang=en").text)
        wrong = citizen.post(
            "/upload?lang=en",
            data={"code": "ABCD-EFGH-JKMN-PQRS", "csrf_token": token, "lang": "en"},
            headers=JSON,
        )
        assert wrong.status_code == 400
        assert wrong.json() == {
            "error": "code_refused",
            "detail": "This code is invalid, expired or revoked. Please check what you typed.",
        }
        assert sessions.CITIZEN_COOKIE not in wrong.cookies


def test_the_page_shows_when_the_session_ends_and_it_can_be_extended(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    secret = ctx.settings.effective_secret_key
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        short = sessions.citizen_token(secret, code_row(ctx, code).id, ttl_seconds=300)
        _replace_cookie(citizen, short)
        page = citizen.get("/upload/files").text
        assert "Ihre Sitzung endet um" in page and "Sitzung verlängern" in page
        ends = int(page.split('data-ends="')[1].split('"')[0])
        assert abs(ends - (time.time() + 300)) < 5
        extended = citizen.post("/upload/session", headers={**JSON, "X-CSRF-Token": csrf_of(page)})
        assert extended.status_code == 200
        new_end = extended.json()["session_ends"]
        assert new_end - time.time() > sessions.CITIZEN_TTL_SECONDS - 10
        cookie = extended.cookies[sessions.CITIZEN_COOKIE]
        claims = read_token_claims(secret, cookie, kind=sessions.CITIZEN_KIND)
        assert claims.expires_at == new_end


def test_extending_needs_a_live_session_and_the_form_token(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files?lang=fa").text)
        forged = citizen.post("/upload/session?lang=fa", headers={**JSON, "X-CSRF-Token": "x"})
        assert forged.status_code == 403
        assert forged.json()["error"] == "csrf_failed"
        assert "صفحه" in forged.json()["detail"]  # explained in Farsi, not English
        assert sessions.CITIZEN_COOKIE not in forged.cookies
        _expire(ctx, citizen, code)
        late = citizen.post("/upload/session", headers={**JSON, "X-CSRF-Token": token})
        assert late.status_code == 401 and late.json()["error"] == "session_expired"
        assert sessions.CITIZEN_COOKIE not in late.cookies
    with browser(ctx) as stranger:  # no session at all
        token = csrf_of(stranger.get("/upload").text)
        assert stranger.post("/upload/session", data={"csrf_token": token}).status_code == 303


def test_the_session_never_outlives_its_code(ctx, world):
    from datetime import timedelta

    from akte.core.database import utcnow
    from tests.web.test_codes import set_code

    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    set_code(ctx, code, expires_at=utcnow() + timedelta(minutes=30))
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        page = citizen.get("/upload/files").text
        extended = citizen.post("/upload/session", headers={**JSON, "X-CSRF-Token": csrf_of(page)})
        assert extended.json()["session_ends"] - time.time() < 31 * 60


def test_the_receipt_lists_refused_files_with_reason_and_advice(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files").text)
        answer = citizen.post(
            "/upload/files?lang=en",
            data={
                "csrf_token": token,
                "declined_name": ["Antrag.docx", "<b>x</b>.exe"],
                "declined_reason": ["bad_type", "made_up"],
            },
            files=[
                ("files", ("ok.pdf", PDF, "application/pdf")),
                ("files", ("empty.pdf", b"", "application/pdf")),
                ("files", ("notes.pdf", b"plain text", "application/pdf")),
            ],
            headers=JSON,
        )
        assert answer.status_code == 201
        body = answer.json()
        assert [(r["index"], r["filename"], r["reason"]) for r in body["refused"]] == [
            (1, "empty.pdf", "empty"),
            (2, "notes.pdf", "bad_type"),
        ]
        receipt = citizen.get(body["redirect"]).text
        refused = receipt.split('id="refused-h"')[1]
        assert all(name in refused for name in ("Antrag.docx", "empty.pdf", "notes.pdf"))
        assert "file is empty" in refused
        assert "x</b>" not in receipt  # an unknown reason is dropped, never shown raw
        assert "What you can do" in refused and "Save the document as PDF" in refused
