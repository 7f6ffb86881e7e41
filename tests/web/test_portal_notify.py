"""The citizen's optional e-mail notice, through a real SMTP server (aiosmtpd) on loopback:
sent once every paper of the upload is filed or returned, in the citizen's language, with
no social data, and the address deleted once it has gone out."""

from __future__ import annotations

import dataclasses
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import cast, func, select
from sqlalchemy.types import String

from akte.audit.models import AuditEntry
from akte.core.database import session_scope, utcnow
from akte.inbox import service as inbox
from akte.web import notify
from akte.web import tasks as portal_tasks
from akte.web.notify_models import ReceiptNotice
from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.test_codes import enter, set_code
from tests.web.test_security import PDF, principal

JSON = {"Accept": "application/json"}
ADDRESS = "amina.beispiel@example.org"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


def _with_mail(ctx, port: int):
    settings = ctx.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "portal@jobcenter.example",
            "public_url": "https://akte.example.org",
        }
    )
    return dataclasses.replace(ctx, settings=settings)


def _upload(citizen, files, **form):
    token = csrf_of(citizen.get("/upload/files").text)
    return citizen.post(
        "/upload/files",
        data={"csrf_token": token, **form},
        files=[("files", f) for f in files],
        headers=JSON,
    )


def _notices(ctx) -> list[ReceiptNotice]:
    with session_scope(ctx.session_factory) as session:
        rows = list(session.scalars(select(ReceiptNotice)))
        session.expunge_all()
        return rows


def _upload_with_address(ctx, world, language="ar") -> list[str]:
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        page = citizen.get(f"/upload/files?lang={language}")
        assert 'name="notify_email"' in page.text
        r = _upload(
            citizen,
            [
                ("Kontoauszug-Mai.pdf", PDF + b"1", "application/pdf"),
                ("Mietvertrag.pdf", PDF + b"2", "application/pdf"),
            ],
            notify_email=f"  {ADDRESS} ",
        )
        assert r.status_code == 201, r.text
    return [s["document_id"] for s in r.json()["stored"]]


def test_the_notice_goes_out_once_all_papers_are_processed_and_the_address_is_gone(
    ctx, world, smtp
):
    port, mailbox = smtp
    mailing = _with_mail(ctx, port)
    kept, returned = _upload_with_address(mailing, world)
    [row] = _notices(ctx)
    assert row.email == ADDRESS and row.language == "ar"

    # nothing processed yet: nothing sent, the address waits
    assert notify.send_due(mailing) == notify.RunResult(waiting=1)
    caseworker = principal(ctx, world.users["caseworker_a1"])
    with session_scope(ctx.session_factory) as session:
        inbox.file_document(
            session, caseworker, uuid.UUID(kept), doc_type="Kontoauszug", title="Kontoauszug Mai"
        )
    assert notify.send_due(mailing) == notify.RunResult(waiting=1)  # one still in the inbox
    assert mailbox.messages == []
    with session_scope(ctx.session_factory) as session:
        inbox.reject(session, caseworker, uuid.UUID(returned), reason="Seite 2 unleserlich")

    assert notify.send_due(mailing) == notify.RunResult(sent=1)
    [(recipients, mail)] = mailbox.messages
    assert recipients == [ADDRESS]
    body = mail.get_content()
    assert mail["Content-Language"] == "ar" and mail["Auto-Submitted"] == "auto-generated"
    assert "تعذّر قبول مستند واحد على الأقل" in body  # one was returned, in Arabic
    assert "https://akte.example.org/upload/status?lang=ar" in body
    # no social data: no file name, Aktenzeichen, person, office or reason
    with session_scope(ctx.session_factory) as session:
        from akte.case_files.models import CaseFile
        from akte.tenants.models import Tenant

        case_file = session.get(CaseFile, world.case_a1.id)
        secrets = [
            "Kontoauszug",
            "Mietvertrag",
            "unleserlich",
            case_file.aktenzeichen,
            session.get(Tenant, case_file.tenant_id).name,
        ]
        if case_file.person_name:
            secrets.append(case_file.person_name)
    whole = mail.as_string()
    assert not [s for s in secrets if s and s in whole], secrets

    # the address is deleted, and no audit entry ever held it
    assert _notices(ctx) == []
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(cast(AuditEntry.detail, String).contains(ADDRESS))
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "portal.notice_sent")
            )
            == 1
        )
    assert notify.send_due(mailing) == notify.RunResult()  # sent once, not again


def test_all_filed_says_so_in_german(ctx, world, smtp):
    port, mailbox = smtp
    mailing = _with_mail(ctx, port)
    documents = _upload_with_address(mailing, world, language="de")
    caseworker = principal(ctx, world.users["caseworker_a1"])
    with session_scope(ctx.session_factory) as session:
        for document_id in documents:
            inbox.file_document(
                session, caseworker, uuid.UUID(document_id), doc_type="Kontoauszug", title="Auszug"
            )
    assert notify.send_due(mailing).sent == 1
    [(_, mail)] = mailbox.messages
    assert mail["Subject"].startswith("Ihre Unterlagen vom ")
    assert "sind eingegangen und wurden bearbeitet" in mail.get_content()


def test_an_unreachable_server_keeps_the_address_for_the_next_run(ctx, world, smtp):
    port, mailbox = smtp
    down = _with_mail(ctx, _free_port())  # nobody listens there
    documents = _upload_with_address(down, world)
    caseworker = principal(ctx, world.users["caseworker_a1"])
    with session_scope(ctx.session_factory) as session:
        for document_id in documents:
            inbox.file_document(
                session, caseworker, uuid.UUID(document_id), doc_type="Kontoauszug", title="Auszug"
            )
    assert notify.send_due(down) == notify.RunResult(failed=1)
    [row] = _notices(ctx)
    assert row.attempts == 1 and row.last_error and ADDRESS not in row.last_error
    assert notify.send_due(_with_mail(ctx, port)).sent == 1  # the server is back
    assert len(mailbox.messages) == 1 and _notices(ctx) == []


def test_an_address_is_not_kept_long_after_the_code_expired(ctx, world, smtp):
    port, mailbox = smtp
    mailing = _with_mail(ctx, port)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(mailing) as citizen:
        assert enter(citizen, code).status_code == 303
        r = _upload(citizen, [("a.pdf", PDF, "application/pdf")], notify_email=ADDRESS)
        assert r.status_code == 201
    keep = mailing.settings.portal_notify_keep_days
    set_code(ctx, code, expires_at=utcnow() - timedelta(days=keep, minutes=1))
    assert notify.send_due(mailing) == notify.RunResult(dropped=1)
    assert _notices(ctx) == [] and mailbox.messages == []


def test_a_bad_address_stores_nothing_and_without_a_mail_server_none_is_asked(ctx, world, smtp):
    port, _ = smtp
    mailing = _with_mail(ctx, port)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(mailing) as citizen:
        assert enter(citizen, code).status_code == 303
        citizen.cookies.set("akte_lang", "en")
        for bad in (
            "no-at-sign",
            "a@b",
            "x@example.org\r\nBcc: all@example.org",
            "two@@example.org",
        ):
            r = _upload(citizen, [("a.pdf", PDF, "application/pdf")], notify_email=bad)
            assert r.status_code == 422 and r.json()["error"] == "bad_email", (bad, r.text)
            assert r.json()["stored"] == [] and "e-mail address is not valid" in r.text
    assert _notices(ctx) == []
    # the test settings have no mail server: no field, and an address sent anyway is dropped
    assert not notify.enabled(ctx.settings)
    assert portal_tasks._notify_interval(ctx.settings) is None
    assert portal_tasks._notify_interval(mailing.settings) == timedelta(seconds=60)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        assert 'name="notify_email"' not in citizen.get("/upload/files").text
        r = _upload(citizen, [("b.pdf", PDF + b"b", "application/pdf")], notify_email=ADDRESS)
        assert r.status_code == 201
    assert _notices(ctx) == []
