"""An upload code on a letter: the letter prints the portal, the code and a QR code that a
real decoder (ZXing) reads as the portal with the code in the URL fragment; the
Mitwirkung template states the deadline and the Rechtsfolgenbelehrung; the printed code
works in the portal and its upload marks the letter's Wiedervorlage."""

from __future__ import annotations

import re
from datetime import timedelta

import pypdfium2
import zxingcpp
from sqlalchemy import func, select

from akte.casework.followups import today
from akte.core.database import session_scope, utcnow
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from akte.web import letters
from outbox.models import Letter
from tests.casework.test_deadlines import _addressed, _citizen_uploads, _mine
from tests.web.conftest import browser, csrf_of, issue_code, login
from tests.web.test_security import PDF, principal

_, SUBJECT, BODY = letters.TEMPLATES["mitwirkung"]
CODE_RE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")


def _letter(client, world, who="caseworker_a1", files=None, **form):
    data = {
        "subject": SUBJECT,
        "body": BODY.replace("- \n", "- Kontoauszüge der letzten drei Monate\n"),
        **form,
    }
    return client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters",
        headers=world.headers[who],
        data=data,
        files=files,
    )


def _pdf(client, world, document_id: str) -> bytes:
    r = client.get(
        f"/api/v1/documents/{document_id}/content", headers=world.headers["caseworker_a1"]
    )
    assert r.status_code == 200, r.text
    return r.content


def _text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def _qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on every page, read by ZXing (zxing-cpp, a dependency already) from the
    page rendered at 150 dpi: what a phone's camera sees of the printed sheet."""
    found: list[str] = []
    doc = pypdfium2.PdfDocument(pdf)
    for i in range(len(doc)):
        image = doc[i].render(scale=150 / 72, grayscale=True).to_pil()
        found += [
            b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        ]
    return found


def _code_count(ctx, world) -> int:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(func.count())
            .select_from(UploadCode)
            .where(UploadCode.case_file_id == world.case_a1.id)
        )


def test_a_mitwirkung_with_a_new_code_prints_portal_code_qr_deadline_and_legal_notice(
    ctx, client, world
):
    _addressed(ctx, world)
    due = today() + timedelta(days=14)
    r = _letter(client, world, deadline=due.isoformat(), issue_upload_code="true")
    assert r.status_code == 201, r.text  # the print check (window, Vermerkzone, margins) passed
    pdf = _pdf(client, world, r.json()["document_id"])
    text = " ".join(_text(pdf).split())

    portal = f"{ctx.settings.effective_public_url}/upload"
    assert f"Portal: {portal}" in text
    [printed] = set(CODE_RE.findall(text))
    shown = due.strftime("%d.%m.%Y")
    assert f"Frist: {shown}" in text  # Informationsblock
    assert f"bis zum {shown} ein" in text and "{frist}" not in text
    assert "Rechtsfolgenbelehrung" in text and "§§ 60, 66 Abs. 1 und 3 SGB I" in text

    # the QR code opens the portal with the code in the fragment (never sent to a server)
    assert _qr_codes(pdf) == [f"{portal}#code={printed}"]

    # the code exists (hash only), belongs to this Akte, and the letter's follow-up is
    # linked to it: the citizen's upload with it marks "Unterlagen eingegangen"
    assert _code_count(ctx, world) == 1
    _citizen_uploads(ctx, printed)
    [item] = _mine(client, world)
    assert item["document_id"] == r.json()["document_id"]
    assert item["papers_received_at"] is not None


def test_an_existing_code_of_the_akte_is_printed_as_issued(ctx, client, world):
    _addressed(ctx, world)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    typed = codes.normalize(code).lower()  # as a caseworker might paste it
    r = _letter(
        client, world, deadline=(today() + timedelta(days=7)).isoformat(), upload_code=typed
    )
    assert r.status_code == 201, r.text
    pdf = _pdf(client, world, r.json()["document_id"])
    assert code in _text(pdf)
    assert _qr_codes(pdf) == [f"{ctx.settings.effective_public_url}/upload#code={code}"]
    assert _code_count(ctx, world) == 1  # nothing new issued


def test_codes_that_cannot_be_printed_are_refused_before_anything_is_filed(ctx, client, world):
    _addressed(ctx, world)
    due = (today() + timedelta(days=7)).isoformat()
    foreign = issue_code(ctx, principal(ctx, world.users["caseworker_a2"]), world.case_a2.id)
    own = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    refusals = [
        ({"deadline": due, "upload_code": foreign}, "upload_code_not_in_akte"),
        ({"deadline": due, "upload_code": "ABCD-EFGH-JKMN-PQRS"}, "upload_code_not_in_akte"),
        ({"upload_code": own}, "deadline_missing"),
        ({"issue_upload_code": "true"}, "deadline_missing"),
        ({}, "deadline_missing"),  # the Mitwirkung text says {frist}
        (
            {"deadline": due, "upload_code": own, "issue_upload_code": "true"},
            "upload_code_conflict",
        ),
    ]
    for form, error in refusals:
        r = _letter(client, world, **form)
        assert r.status_code == 422 and r.json()["error"] == error, (form, r.text)
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters",
        headers=world.headers["caseworker_a1"],
        data={"deadline": due, "issue_upload_code": "true"},
        files={"file": ("brief.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 422 and r.json()["error"] == "upload_code_needs_template"
    # a revoked code of the Akte is refused too
    with session_scope(ctx.session_factory) as session:
        row = session.scalar(
            select(UploadCode).where(UploadCode.code_hash == codes.code_hash(codes.normalize(own)))
        )
        row.revoked_at = utcnow()
    r = _letter(client, world, deadline=due, upload_code=own)
    assert r.status_code == 422 and r.json()["error"] == "upload_code_not_in_akte"
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Letter)
                .where(Letter.case_file_id == world.case_a1.id)
            )
            == 0
        )
    assert _code_count(ctx, world) == 1  # the one issued above, none by refused letters
    assert _mine(client, world) == []


def test_issuing_a_code_with_a_letter_needs_the_akte_s_owner(ctx, client, world):
    """Who may only read the Akte (another org unit's caseworker sees nothing at all)
    cannot issue a code through a letter."""
    _addressed(ctx, world)
    r = _letter(
        client,
        world,
        who="caseworker_a2",
        deadline=(today() + timedelta(days=7)).isoformat(),
        issue_upload_code="true",
    )
    assert r.status_code == 404, r.text
    assert _code_count(ctx, world) == 0


def test_the_preview_prints_a_placeholder_and_issues_nothing(ctx, client, world):
    _addressed(ctx, world)
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters/preview",
        headers=world.headers["caseworker_a1"],
        data={
            "subject": SUBJECT,
            "body": BODY,
            "issue_upload_code": "true",
            "deadline": (today() + timedelta(days=7)).isoformat(),
        },
    )
    assert r.status_code == 200 and r.headers["X-Letter-Check"] == "ok", r.headers
    assert "XXXX-XXXX-XXXX-XXXX" in _text(r.content)
    assert _qr_codes(r.content) == [
        f"{ctx.settings.effective_public_url}/upload#code=XXXX-XXXX-XXXX-XXXX"
    ]
    assert _code_count(ctx, world) == 0


def test_the_letter_form_issues_and_prints_a_code(ctx, client, world):
    """The caseworker's form: the Mitwirkung starts with "issue a code" ticked; sending it
    with a deadline queues a letter whose text holds the new code."""
    _addressed(ctx, world)
    with browser(ctx) as staff:
        login(staff, world.users["caseworker_a1"].username)
        form = staff.get(f"/app/akten/{world.case_a1.id}/brief?vorlage=mitwirkung")
        assert form.status_code == 200
        assert 'name="issue_upload_code" value="true" checked' in form.text
        assert "{frist}" in form.text and "Rechtsfolgenbelehrung" in form.text
        due = (today() + timedelta(days=10)).isoformat()
        r = staff.post(
            f"/app/akten/{world.case_a1.id}/brief",
            data={
                "csrf_token": csrf_of(form.text),
                "subject": SUBJECT,
                "body": BODY,
                "deadline": due,
                "issue_upload_code": "true",
                "action": "send",
            },
        )
        assert r.status_code == 303, r.text
    assert _code_count(ctx, world) == 1
    with session_scope(ctx.session_factory) as session:
        letter = session.scalar(select(Letter).where(Letter.case_file_id == world.case_a1.id))
        document_id = str(letter.document_id)
    assert CODE_RE.search(_text(_pdf(client, world, document_id)))


def test_the_letter_form_keeps_its_content_when_the_deadline_is_missing(ctx, world):
    """The Mitwirkung needs its deadline: the form comes back filled in, saying so, and
    no code was issued for a letter that was not queued."""
    _addressed(ctx, world)
    with browser(ctx) as staff:
        login(staff, world.users["caseworker_a1"].username)
        form = staff.get(f"/app/akten/{world.case_a1.id}/brief?vorlage=mitwirkung")
        body = BODY.replace("- \n", "- Mietvertrag\n")
        r = staff.post(
            f"/app/akten/{world.case_a1.id}/brief",
            data={
                "csrf_token": csrf_of(form.text),
                "subject": SUBJECT,
                "body": body,
                "issue_upload_code": "true",
                "action": "send",
            },
        )
        assert r.status_code == 422
        assert "Frist" in r.text and "- Mietvertrag" in r.text and 'role="alert"' in r.text
        assert 'name="issue_upload_code" value="true" checked' in r.text
    assert _code_count(ctx, world) == 0
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Letter)
                .where(Letter.case_file_id == world.case_a1.id)
            )
            == 0
        )
