"""Upload codes: issued once, stored as a hash, refused when wrong, expired or revoked, and
rate-limited against guessing (per IP address and per code prefix)."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from akte.core.database import session_scope, utcnow
from akte.documents.models import Document
from akte.jobs.models import Job
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from tests.web.conftest import browser, csrf_of, issue_code, login, post_form
from tests.web.test_security import PDF, principal

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def enter(client, code: str):
    start = client.get("/upload")
    return client.post("/upload", data={"code": code, "csrf_token": csrf_of(start.text)})


def set_code(ctx, plaintext: str, **values) -> None:
    with session_scope(ctx.session_factory) as session:
        row = session.scalar(
            select(UploadCode).where(
                UploadCode.code_hash == codes.code_hash(codes.normalize(plaintext))
            )
        )
        for name, value in values.items():
            setattr(row, name, value)


def test_the_api_shows_a_code_once_and_keeps_only_its_hash(ctx, world):
    headers = world.headers["caseworker_a1"]
    url = f"/api/v1/case-files/{world.case_a1.id}/upload-codes"
    with browser(ctx) as client:
        issued = client.post(url, json={"valid_days": 7}, headers=headers)
        assert issued.status_code == 201, issued.text
        body = issued.json()
        code = body["code"]
        assert len(codes.normalize(code)) == 16
        assert body["upload_url"].endswith(f"/upload#code={code}")
        listed = client.get(url, headers=headers).json()
        assert [c["id"] for c in listed] == [body["id"]]
        assert "code" not in listed[0]
        with session_scope(ctx.session_factory) as session:
            row = session.get(UploadCode, uuid.UUID(body["id"]))
            assert row.code_hash != code and codes.normalize(code) not in row.code_hash
        # Other org unit, other tenant, importer: not theirs.
        assert client.post(url, headers=world.headers["caseworker_a2"]).status_code == 404
        assert client.post(url, headers=world.headers["caseworker_b"]).status_code == 404
        assert client.post(url, headers=world.headers["importer_a"]).status_code == 403
        # Revoked: the citizen can no longer enter it.
        revoke = client.post(f"/api/v1/upload-codes/{body['id']}/revoke", headers=headers)
        assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    with browser(ctx) as citizen:
        refused = enter(citizen, code)
        assert refused.status_code == 400
        assert "ungültig, abgelaufen oder widerrufen" in refused.text


def test_a_code_opens_the_upload_into_its_akte_and_the_posteingang(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        # Typed in lower case without dashes: still the code.
        entered = enter(citizen, codes.normalize(code).lower())
        assert entered.status_code == 303
        page = citizen.get("/upload/files")
        assert world.case_a1.aktenzeichen in page.text
        assert 'accept="application/pdf,image/jpeg,image/png' in page.text
        # files or gallery, not the camera alone; several at once
        assert "capture=" not in page.text and "multiple" in page.text
        uploaded = citizen.post(
            "/upload/files",
            data={"csrf_token": csrf_of(page.text)},
            files=[
                ("files", ("Lohnabrechnung Mai.pdf", PDF, "application/pdf")),
                ("files", ("foto.png", PNG, "image/png")),
                ("files", ("notes.txt", b"just text", "text/plain")),
            ],
            headers={"Accept": "application/json"},
        )
        assert uploaded.status_code == 201, uploaded.text
        body = uploaded.json()
        assert [(s["index"], s["filename"]) for s in body["stored"]] == [
            (0, "Lohnabrechnung Mai.pdf"),
            (1, "foto.png"),
        ]
        assert body["stored"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert [(r["index"], r["filename"], r["reason"]) for r in body["refused"]] == [
            (2, "notes.txt", "bad_type")
        ]
        assert "PDF" in body["refused"][0]["advice"]
        listed = citizen.get("/upload/files").text
        assert body["redirect"].split("?")[0] in listed and "2 Datei(en)" in listed
        receipt = citizen.get(body["redirect"])
        assert "Lohnabrechnung Mai.pdf" in receipt.text and "foto.png" in receipt.text
        pdf_url = receipt.text.split('href="/upload/receipts/')[1].split('"')[0]
        pdf = citizen.get(f"/upload/receipts/{pdf_url}")
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert world.case_a1.aktenzeichen in text
        assert hashlib.sha256(PDF).hexdigest() in text
        assert "Lohnabrechnung Mai.pdf" in text
    with session_scope(ctx.session_factory) as session:
        docs = list(
            session.scalars(
                select(Document).where(
                    Document.case_file_id == world.case_a1.id, Document.source == "citizen-upload"
                )
            )
        )
        assert sorted(d.title for d in docs) == ["Lohnabrechnung Mai.pdf", "foto.png"]
        assert all(d.filed is False for d in docs)
        queued = session.scalars(select(Job.payload).where(Job.kind == "ingest.process_document"))
        assert {str(d.id) for d in docs} <= {p["document_id"] for p in queued}


def test_wrong_expired_and_revoked_codes_are_refused_alike(ctx, world):
    cw = principal(ctx, world.users["caseworker_a1"])
    expired, revoked = issue_code(ctx, cw, world.case_a1.id), issue_code(ctx, cw, world.case_a1.id)
    set_code(ctx, expired, expires_at=utcnow() - timedelta(minutes=1))
    set_code(ctx, revoked, revoked_at=utcnow())
    with browser(ctx) as citizen:
        for attempt in ("ABCD-EFGH-JKMN-PQRS", expired, revoked, "short"):
            response = enter(citizen, attempt)
            assert response.status_code == 400, attempt
            assert "akte_citizen" not in response.cookies
        assert citizen.get("/upload/files").status_code == 303


def test_a_session_ends_when_its_code_expires_or_is_revoked(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        assert citizen.get("/upload/files").status_code == 200
        set_code(ctx, code, revoked_at=utcnow())
        gone = citizen.get("/upload/files")
        assert gone.status_code == 303 and gone.headers["location"] == "/upload"


def test_guessing_is_stopped_per_ip_address(ctx, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as guesser:
        for n in range(codes.IP_LIMIT):
            wrong = f"{n:04d}-AAAA-BBBB-CCCC".replace("0", "Q").replace("1", "R")
            assert enter(guesser, wrong).status_code == 400
        blocked = enter(guesser, "ZZZZ-AAAA-BBBB-CCCC")
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == "900"
        assert "Zu viele Fehlversuche" in blocked.text
        # a valid code is not guessable: it is admitted even from the blocked address, so
        # a citizen behind the same NAT as a guesser is not locked out
        assert enter(guesser, code).status_code == 303
    with browser(ctx) as someone_else:
        assert enter(someone_else, code).status_code == 303


def test_guessing_one_prefix_from_many_addresses_is_stopped(ctx, world):
    prefix = "".join(random.choice(codes.ALPHABET) for _ in range(4))
    for n in range(codes.PREFIX_LIMIT):
        with browser(ctx) as guesser:  # a new address each time
            assert enter(guesser, f"{prefix}-AAAA-BBBB-{n:04d}").status_code == 400
    with browser(ctx) as last:
        assert enter(last, f"{prefix}-ZZZZ-ZZZZ-ZZZZ").status_code == 429


def test_caseworker_revokes_a_code_on_the_akte_page(ctx, world):
    staff = browser(ctx)
    login(staff, world.users["caseworker_a1"].username)
    case_url = f"/app/akten/{world.case_a1.id}"
    issued = post_form(staff, case_url, f"{case_url}/upload-codes", {"valid_days": "2"})
    assert issued.status_code == 201
    code = issued.text.split('id="issued-code">')[1].split("<")[0]
    page = staff.get(case_url).text
    assert f"{code[:4]}-…" in page and code not in page  # the code itself is never shown again
    revoke_url = page.split('action="/app/upload-codes/')[1].split('"')[0]
    revoked = post_form(staff, case_url, f"/app/upload-codes/{revoke_url}", {})
    assert revoked.status_code == 303
    assert "widerrufen" in staff.get(case_url).text
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 400


def test_one_code_takes_a_bounded_number_of_files(ctx, world):
    from akte.uploads import intake as portal

    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    set_code(ctx, code, files_uploaded=portal.MAX_FILES_PER_CODE - 1)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        token = csrf_of(citizen.get("/upload/files").text)
        files = [("files", (f"{n}.pdf", PDF + bytes([n]), "application/pdf")) for n in range(2)]
        refused = citizen.post("/upload/files", data={"csrf_token": token}, files=files)
        assert refused.status_code == 400
        assert "schon zu viele Dateien" in refused.text
        one = citizen.post("/upload/files", data={"csrf_token": token}, files=files[:1])
        assert one.status_code == 303
