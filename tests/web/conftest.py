"""Helpers for the web tests: a logged-in browser-like client and CSRF-aware posting."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from tests.builders import PASSWORD
from tests.client import TestClient

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def browser(ctx: AppContext, ip: str | None = None) -> TestClient:
    """A client with its own cookie jar and (optionally) its own client IP address, so
    rate-limit counters of one test never touch another's."""
    app = create_app(ctx=ctx, start_worker=False)
    address = ip or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    return TestClient(app, client=(address, 50000), follow_redirects=False)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text


def post_form(client: TestClient, page_url: str, url: str, data: dict, **kwargs) -> object:
    """POST ``data`` to ``url`` with the CSRF token of the page at ``page_url``."""
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def web(ctx: AppContext) -> Iterator[TestClient]:
    with browser(ctx) as client:
        yield client


def issue_code(ctx: AppContext, principal, case_file_id: uuid.UUID, days: int = 28) -> str:
    with session_scope(ctx.session_factory) as session:
        return codes.issue(session, principal, case_file_id, valid_days=days).plaintext


def code_row(ctx: AppContext, plaintext: str) -> UploadCode:
    with session_scope(ctx.session_factory) as session:
        normalized = codes.normalize(plaintext)
        row = session.query(UploadCode).filter_by(code_hash=codes.code_hash(normalized)).one()
        session.expunge(row)
        return row


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the browser fixture can tell that a
    test failed and leave a screenshot of the page it failed on."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
