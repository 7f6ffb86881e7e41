"""CSRF, escaping, and the wall between citizen and staff sessions."""

from __future__ import annotations

import uuid

from akte.auth.service import principal_for
from akte.core.database import session_scope
from akte.users.models import User
from tests.web.conftest import browser, csrf_of, issue_code, login, post_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: No slash: a file name is cut at the last "/" before anything is shown.
XSS = "<img src=x onerror=alert(1)>"


def principal(ctx, user):
    with session_scope(ctx.session_factory) as session:
        return principal_for(session, session.get(User, user.id))


def citizen_with_upload(ctx, world, filename):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    citizen = browser(ctx)
    start = citizen.get("/upload")
    assert (
        citizen.post("/upload", data={"code": code, "csrf_token": csrf_of(start.text)}).status_code
        == 303
    )
    token = csrf_of(citizen.get("/upload/files").text)
    response = citizen.post(
        "/upload/files",
        data={"csrf_token": token},
        files=[("files", (filename, PDF, "application/pdf"))],
    )
    assert response.status_code == 303, response.text
    return citizen, response.headers["location"]


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(ctx, world):
    client = browser(ctx)
    client.get("/login")
    username = world.users["caseworker_a1"].username
    for token in (None, "0" * 64):
        data = {"username": username, "password": "correct-horse-battery"}
        if token:
            data["csrf_token"] = token
        assert client.post("/login", data=data).status_code == 403
    login(client, username)
    case_url = f"/app/akten/{world.case_a1.id}"
    assert client.post(f"{case_url}/upload-codes", data={"valid_days": "3"}).status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/app").status_code == 200  # still logged in: logout was refused
    # A token from another browser (another seed cookie) is wrong for this one too.
    other = browser(ctx)
    foreign = csrf_of(other.get("/login").text)
    refused = client.post(f"{case_url}/upload-codes", data={"csrf_token": foreign})
    assert refused.status_code == 403
    accepted = post_form(client, case_url, f"{case_url}/upload-codes", {"valid_days": "3"})
    assert accepted.status_code == 201


def test_citizen_forms_need_the_token(ctx, world):
    citizen = browser(ctx)
    citizen.get("/upload")
    assert citizen.post("/upload", data={"code": "ABCD-EFGH-JKMN-PQRS"}).status_code == 403


def test_markup_in_file_name_title_and_query_is_shown_as_text(ctx, world):
    citizen, receipt_url = citizen_with_upload(ctx, world, f"{XSS}.pdf")
    receipt = citizen.get(receipt_url)
    assert XSS not in receipt.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in receipt.text

    staff = browser(ctx)
    login(staff, world.users["caseworker_a1"].username)
    for url in ("/app/posteingang", f"/app/akten/{world.case_a1.id}"):
        page = staff.get(url)
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    query = '"><svg onload=alert(1)>'
    results = staff.get("/app/search", params={"q": query})
    assert results.status_code == 200
    assert "<svg onload" not in results.text
    assert "&lt;svg onload=alert(1)&gt;" in results.text
    assert "script-src 'self'" in results.headers["content-security-policy"]


def staff_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) of the caseworker pages, however the routers were included."""

    def walk(routes):
        for route in routes:
            if hasattr(route, "effective_candidates"):
                yield from walk(route.effective_candidates())
            elif hasattr(route, "routes") and not hasattr(route, "methods"):
                yield from walk(route.routes)
            else:
                yield route

    found = []
    for route in walk(app.routes):
        path = getattr(route, "path", "")
        if path == "/app" or path.startswith("/app/"):
            found += [(m, path) for m in sorted(route.methods or []) if m != "HEAD"]
    return found


def test_a_citizen_session_opens_no_caseworker_page_or_api(ctx, world):
    citizen, receipt_url = citizen_with_upload(ctx, world, "lohn.pdf")
    staff = browser(ctx)
    login(staff, world.users["caseworker_a1"].username)
    inbox = staff.get("/app/posteingang").text
    document_id = inbox.split('href="/app/documents/')[1].split('"')[0]
    ids = {
        "case_file_id": str(world.case_a1.id),
        "document_id": document_id,
        "code_id": str(uuid.uuid4()),
        "delivery_id": str(uuid.uuid4()),
        "vorgang_id": str(uuid.uuid4()),
        "follow_up_id": str(uuid.uuid4()),
        "session_id": uuid.uuid4().hex,
        "export_id": str(uuid.uuid4()),
        "aussonderung_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "org_unit_id": str(uuid.uuid4()),
        "key_id": str(uuid.uuid4()),
        "rule_id": str(uuid.uuid4()),
        "hold_id": str(uuid.uuid4()),
        "transfer_id": str(uuid.uuid4()),
        "part": "pdf",
    }
    token = csrf_of(citizen.get("/upload/files").text)  # valid for the citizen's browser
    routes = staff_routes(citizen.app)
    assert len(routes) >= 15
    for method, template in routes:
        url = template.format(**ids)
        response = citizen.request(
            method, url, data={"csrf_token": token} if method == "POST" else None
        )
        assert response.status_code == 303, (method, url, response.status_code)
        assert response.headers["location"].startswith("/login"), (method, url)
    for url in (f"/api/v1/case-files/{world.case_a1.id}", f"/api/v1/documents/{document_id}"):
        assert citizen.get(url).status_code == 401, url
    # ... while the citizen's own receipt is there for them.
    assert citizen.get(receipt_url).status_code == 200


def test_a_citizen_sees_only_receipts_of_their_own_code(ctx, world):
    first, receipt_url = citizen_with_upload(ctx, world, "a.pdf")
    second, _ = citizen_with_upload(ctx, world, "b.pdf")
    assert second.get(receipt_url).status_code == 404
    assert second.get(receipt_url.split("?")[0] + "/pdf").status_code == 404
    assert first.get(receipt_url).status_code == 200


def test_login_follows_next_only_within_the_site(ctx, world):
    username = world.users["caseworker_a1"].username
    for target, expected in [
        ("//evil.example/x", "/app/wiedervorlagen"),
        ("/\t/evil.example", "/app/wiedervorlagen"),
        ("https://evil.example", "/app/wiedervorlagen"),
        (f"/app/akten/{world.case_a1.id}", f"/app/akten/{world.case_a1.id}"),
    ]:
        client = browser(ctx)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": "correct-horse-battery",
                "next": target,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected
