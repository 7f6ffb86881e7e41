"""Caseworker pages over HTTP: session cookie, Akte and viewer, Posteingang, upload."""

from __future__ import annotations

from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from akte.documents.models import Document
from tests.web.conftest import browser, csrf_of, login, post_form
from tests.web.test_security import PDF, citizen_with_upload


def test_session_cookie_is_httponly_lax_and_secure_behind_tls(ctx, world):
    username = world.users["caseworker_a1"].username
    client = browser(ctx)
    page = client.get("/login")
    plain = client.post(
        "/login",
        data={
            "username": username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_of(page.text),
        },
    )
    cookie = plain.headers["set-cookie"]
    assert "akte_web=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    tls = browser(ctx)
    tls.base_url = "https://testserver"  # the TLS proxy's side; cookies marked Secure flow
    page = tls.get("/login", headers={"X-Forwarded-Proto": "https"})
    secure = tls.post(
        "/login",
        data={
            "username": username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_of(page.text),
        },
        headers={"X-Forwarded-Proto": "https"},
    )
    assert "Secure" in secure.headers["set-cookie"]
    # Plain HTTP between a TLS-terminating proxy and akte: the forwarded scheme counts only
    # from a trusted proxy (AKTE_TRUSTED_PROXIES; tests/trust/test_proxies.py covers it).
    proxied = browser(ctx).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in proxied.headers["set-cookie"]


def test_wrong_password_and_service_accounts_cannot_log_in(ctx, world):
    client = browser(ctx)
    for username, password in [
        (world.users["caseworker_a1"].username, "wrong"),
        (world.users["importer_a"].username, ""),
    ]:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 401
        assert "falsch" in response.text
    assert client.get("/app").status_code == 303


def test_logout_ends_the_session_on_the_server(ctx, world):
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    stolen = client.cookies.get("akte_web")
    assert post_form(client, "/app", "/logout", {}).status_code == 303
    replay = browser(ctx)
    replay.cookies.set("akte_web", stolen)
    assert replay.get("/app").status_code == 303


def test_akte_page_viewer_and_downloads(ctx, world):
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    case_url = f"/app/akten/{world.case_a1.id}"
    token = csrf_of(client.get(case_url).text)
    uploaded = client.post(
        f"{case_url}/upload",
        data={"csrf_token": token, "doc_type": "Kontoauszug"},
        files=[
            ("files", ("auszug1.pdf", PDF, "application/pdf")),
            ("files", ("auszug2.pdf", PDF + b" ", "application/pdf")),
        ],
        headers={"Accept": "application/json"},
    )
    assert uploaded.status_code == 201 and uploaded.json()["stored"] == 2
    page = client.get(case_url)
    assert "auszug1.pdf" in page.text and "auszug2.pdf" in page.text
    assert "Kontoauszug" in page.text and "Upload Sachbearbeitung" in page.text
    document_id = page.text.split('href="/app/documents/')[1].split('"')[0]
    viewer = client.get(f"/app/documents/{document_id}")
    assert viewer.status_code == 200
    assert (
        f'<iframe src="/app/documents/{document_id}/content?rendition=original&amp;inline=true"'
        in viewer.text
    )
    inline = client.get(f"/app/documents/{document_id}/content?rendition=original&inline=true")
    assert inline.status_code == 200 and inline.content.startswith(b"%PDF")
    assert inline.headers["content-disposition"].startswith("inline")
    ranged = client.get(f"/app/documents/{document_id}/content", headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.content == b"%PDF"
    # Someone of another org unit: the Akte and its documents do not exist for them.
    other = browser(ctx)
    login(other, world.users["caseworker_a2"].username)
    hidden = other.get(case_url)
    assert hidden.status_code == 404
    assert "<h1>Nicht gefunden</h1>" in hidden.text  # a page in the layout, not JSON
    assert other.get(f"/app/documents/{document_id}").status_code == 404
    assert other.get(f"/app/documents/{document_id}/content").status_code == 404
    assert other.get(f"/app/documents/{document_id}/auszug?pages=1").status_code == 404
    assert other.get(f"/app/documents/{document_id}?q=Kontoauszug").status_code == 404


def test_posteingang_file_in_one_submit_or_reject_with_reason(ctx, world):
    citizen_with_upload(ctx, world, "miete.pdf")
    citizen_with_upload(ctx, world, "unleserlich.pdf")
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    inbox = client.get("/app/posteingang")
    assert "miete.pdf" in inbox.text and "unleserlich.pdf" in inbox.text
    with session_scope(ctx.session_factory) as session:
        docs = {
            d.title: d.id
            for d in session.scalars(
                select(Document).where(Document.case_file_id == world.case_a1.id)
            )
        }
    token = csrf_of(inbox.text)
    filed = client.post(
        f"/app/documents/{docs['miete.pdf']}/file",
        data={
            "csrf_token": token,
            "doc_type": "Mietvertrag",
            "title": "Mietvertrag 2024",
            "back": "/app/posteingang",
        },
    )
    assert filed.status_code == 303
    missing_reason = client.post(
        f"/app/documents/{docs['unleserlich.pdf']}/reject", data={"csrf_token": token}
    )
    assert missing_reason.status_code == 422
    rejected = client.post(
        f"/app/documents/{docs['unleserlich.pdf']}/reject",
        data={"csrf_token": token, "reason": "nicht lesbar, bitte neu fotografieren"},
    )
    assert rejected.status_code == 303
    inbox = client.get("/app/posteingang?msg=filed")
    assert "miete.pdf" not in inbox.text and "unleserlich.pdf" not in inbox.text
    assert "Dokument abgelegt." in inbox.text
    akte = client.get(f"/app/akten/{world.case_a1.id}").text
    assert "Mietvertrag 2024" in akte
    assert "abgelehnt: nicht lesbar, bitte neu fotografieren" in akte
    # The rejected original is kept and can still be read.
    kept = client.get(f"/app/documents/{docs['unleserlich.pdf']}/content")
    assert kept.status_code == 200 and kept.content == PDF
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, docs["miete.pdf"])
        assert document.filed and document.doc_type == "Mietvertrag"
        actions = set(
            session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.object_id.in_([str(docs["miete.pdf"]), str(docs["unleserlich.pdf"])])
                )
            )
        )
        assert {"document.file", "document.reject"} <= actions
    # Another org unit's caseworker sees none of it.
    other = browser(ctx)
    login(other, world.users["caseworker_a2"].username)
    assert "unleserlich.pdf" not in other.get("/app/posteingang").text


def test_search_finds_akten_and_documents_the_caseworker_may_read(ctx, world):
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)
    found = client.get("/app/search", params={"q": world.case_a1.aktenzeichen})
    assert found.status_code == 200
    assert f'href="/app/akten/{world.case_a1.id}"' in found.text
    hidden = client.get("/app/search", params={"q": world.case_a2.aktenzeichen})
    assert f'href="/app/akten/{world.case_a2.id}"' not in hidden.text


def test_password_guessing_is_stopped_per_ip_address(ctx, world, monkeypatch):
    from akte.auth import throttle

    monkeypatch.setattr(throttle, "ACCOUNT_FREE", 3)  # each wrong try costs an argon2 check
    username = world.users["caseworker_a1"].username
    office = browser(ctx)
    login(office, username)  # the owner's usual address
    client = browser(ctx)
    token = csrf_of(client.get("/login").text)
    for _ in range(throttle.ACCOUNT_FREE):
        wrong = client.post(
            "/login", data={"username": username, "password": "nope", "csrf_token": token}
        )
        assert wrong.status_code == 401
    blocked = client.post(
        "/login",
        data={"username": username, "password": "correct-horse-battery", "csrf_token": token},
    )
    assert blocked.status_code == 429 and "akte_web" not in blocked.cookies
    login(office, username)  # the owner's known address is not affected
