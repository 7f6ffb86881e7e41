"""Letters for caseworkers: create (uploaded or rendered), preview, list, read, cancel.

A letter is an Akte's document (source ``letter``) plus a row in ``outbox_letters``: the
PDF is stored and filed through :mod:`akte.documents.intake`, so it is processed and
indexed like any other document, in the same transaction as the letter and its first
history entry. Only Akten the caller may read are reachable (404 otherwise).

The web UI calls :func:`create_letter`, :func:`preview`, :func:`list_letters`,
:func:`get_letter` and :func:`cancel` directly.
"""

from __future__ import annotations

import io
import math
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import update
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import CASE_ROLES
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.case_files.models import CaseFile
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.core.storage import BlobStore
from akte.documents import intake
from akte.documents import service as documents
from akte.documents.models import DocumentSource
from akte.jobs import repository as jobs
from akte.tenants.models import Tenant
from outbox import lifecycle, portal_code, repository
from outbox import settings as outbox_settings
from outbox.addresses import PostalAddress, format_lines, return_line
from outbox.manifest import structured_address
from outbox.models import Letter, LetterStatus, Product
from outbox.portal_code import PortalNotice
from outbox.profiles import PROFILES
from outbox.render import DEADLINE_PLACEHOLDER, LetterContent, render_letter
from outbox.schemas import Address, LetterEventRead, LetterRead
from outbox.validation import LetterInvalid, check_letter, prepare_letter, require_pdf

SEAL_TASK = "outbox.seal"


@dataclass
class LetterOptions:
    product: Product = Product.standardbrief
    color: bool = False
    duplex: bool = False


@dataclass
class TemplateInput:
    subject: str
    body: str
    #: lines as printed (the older API form); the structure is read from them
    recipient_lines: list[str] | None = None
    letter_date: date | None = None
    #: the structured address, laid out as its destination country expects
    recipient_address: PostalAddress | None = None


def default_recipient(case_file: CaseFile) -> list[str]:
    lines = [line.strip() for line in (case_file.address_lines or "").splitlines() if line.strip()]
    if case_file.person_name and (not lines or lines[0] != case_file.person_name):
        lines.insert(0, case_file.person_name)
    return lines


def _return_address(rules: outbox_settings.TenantOutboxSettings) -> str | None:
    if rules.return_address or rules.sender_address is None:
        return rules.return_address
    return return_line(rules.sender_address, rules.origin)


@dataclass(frozen=True)
class CodeOnLetter:
    """An upload code to print on a template letter: ``text`` as it was shown when issued
    (a usable code of the letter's Akte), or ``issue`` a fresh one with the letter.
    ``public_url`` is ``AKTE_PUBLIC_URL``, the address printed and put in the QR code."""

    public_url: str
    text: str | None = None
    issue: bool = False


def _require_deadline(
    template: TemplateInput | None,
    deadline: date | None,
    code: CodeOnLetter | None,
    upload_code_id: uuid.UUID | None,
) -> None:
    """A code on a letter, or a text that says ``{frist}``, needs the deadline: the
    citizen must read the date by which to answer, never a blank (§ 66 Abs. 3 SGB I)."""
    if deadline is not None:
        return
    if upload_code_id is not None or (code is not None and (code.text or code.issue)):
        raise Unprocessable(
            "Ein Upload-Code auf dem Brief braucht eine Frist (deadline)", code="deadline_missing"
        )
    if template is not None and DEADLINE_PLACEHOLDER in template.body:
        raise Unprocessable(
            f"Der Text nennt die Frist ({DEADLINE_PLACEHOLDER}); bitte das "
            "Datum der Frist angeben (deadline)",
            code="deadline_missing",
        )


def _portal_notice(
    session: Session,
    principal: Principal,
    case_file: CaseFile,
    code: CodeOnLetter | None,
    upload_code_id: uuid.UUID | None,
    *,
    preview: bool,
) -> tuple[PortalNotice | None, uuid.UUID | None]:
    """What the letter prints about the portal, and the code id its follow-up links to.
    A preview issues nothing: it prints ``XXXX-…`` where the new code will stand."""
    if code is None or not (code.text or code.issue):
        return None, upload_code_id
    if code.text and code.issue:
        raise Unprocessable(
            "entweder einen vorhandenen Upload-Code (upload_code) oder einen "
            "neuen (issue_upload_code)",
            code="upload_code_conflict",
        )
    if code.text:
        code_id, shown = portal_code.resolve(session, case_file, code.text)
        if upload_code_id is not None and upload_code_id != code_id:
            raise Unprocessable(
                "upload_code und upload_code_id nennen verschiedene Codes",
                code="upload_code_conflict",
            )
    elif preview:
        code_id, shown = upload_code_id, portal_code.PREVIEW_CODE
    else:
        code_id, shown = portal_code.issue_for_letter(session, principal, case_file)
    return portal_code.notice(code.public_url, shown), code_id


def _render(
    session: Session,
    case_file: CaseFile,
    template: TemplateInput,
    color: bool,
    *,
    deadline: date | None = None,
    portal: PortalNotice | None = None,
) -> bytes:
    tenant = session.get(Tenant, case_file.tenant_id)
    assert tenant is not None
    rules = outbox_settings.get(session, tenant.id)
    if template.recipient_address is not None:
        recipient = format_lines(template.recipient_address, rules.origin)
    else:
        recipient = template.recipient_lines or default_recipient(case_file)
    if not recipient:
        raise LetterInvalid(
            "address_zone: die Akte hat keine Anschrift; bitte die Anschrift des Empfängers angeben"
        )
    return render_letter(
        LetterContent(
            sender_name=tenant.name,
            sender_lines=rules.letterhead_lines,
            return_address=_return_address(rules),
            recipient_lines=recipient,
            aktenzeichen=case_file.aktenzeichen,
            subject=template.subject,
            body=template.body,
            letter_date=template.letter_date or date.today(),
            color=color,
            profile=PROFILES[rules.print_profile],
            deadline=deadline,
            portal=portal,
        )
    )


def preview(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    template: TemplateInput,
    color: bool = False,
    options: LetterOptions | None = None,
    deadline: date | None = None,
    code: CodeOnLetter | None = None,
) -> tuple[bytes, str]:
    """The rendered PDF, nothing stored or queued (for the web UI's preview), and the
    outcome of the checks queueing would apply (``"ok"`` or the failure)."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    _require_deadline(template, deadline, code, None)
    portal, _ = _portal_notice(session, principal, case_file, code, None, preview=True)
    audit.record(
        session, principal, "letter.preview", object_type="case_file", object_id=case_file.id
    )
    options = options or LetterOptions(color=color)
    pdf = _render(session, case_file, template, options.color, deadline=deadline, portal=portal)
    rules = outbox_settings.get(session, case_file.tenant_id)
    try:
        _check(io.BytesIO(pdf), rules, options)
    except LetterInvalid as exc:
        return pdf, exc.detail
    return pdf, "ok"


@dataclass(frozen=True)
class _Checked:
    pages: int
    sheets: int
    envelope: str
    recipient_lines: list[str]
    address: PostalAddress


def _check(
    fileobj: BinaryIO, rules: outbox_settings.TenantOutboxSettings, options: LetterOptions
) -> _Checked:
    """The print check plus what the profile allows for the product (pages, sheets,
    colour, duplex) and the envelope it takes."""
    profile = PROFILES[rules.print_profile]
    product = options.product.value
    profile.rule(product, color=options.color, duplex=options.duplex)
    checked = check_letter(
        fileobj,
        max_pages=rules.max_pages,
        color=options.color,
        profile=profile,
        origin=rules.origin,
    )
    pages = checked.page_count
    sheets = math.ceil(pages / 2) if options.duplex else pages
    envelope = profile.check_size(product, pages, sheets)
    assert checked.address is not None
    return _Checked(pages, sheets, envelope, checked.recipient_lines, checked.address)


def create_letter(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    options: LetterOptions,
    upload: BinaryIO | None = None,
    filename: str | None = None,
    template: TemplateInput | None = None,
    subject: str | None = None,
    max_bytes: int,
    deadline: date | None = None,
    upload_code_id: uuid.UUID | None = None,
    code: CodeOnLetter | None = None,
) -> Letter:
    """Validate, store and file the PDF, queue the letter. Raises ``LetterInvalid`` (422).

    A ``deadline`` (the date by which the citizen must answer, e.g. a Mitwirkung) leaves a
    Wiedervorlage due that day for the writer, in this transaction
    (:mod:`akte.casework.deadlines`); ``upload_code_id`` names the code printed on the
    letter, whose uploads mark that follow-up "Unterlagen eingegangen". ``code`` prints a
    code on a template letter with the portal address and a QR code
    (:mod:`outbox.portal_code`); that code is then the one the follow-up is linked to."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    if code is not None and (code.text or code.issue) and upload is not None:
        raise Unprocessable(
            "Einen Upload-Code druckt nur die Vorlage (subject und body); "
            "ein hochgeladener Brief bringt seinen Text selbst mit",
            code="upload_code_needs_template",
        )
    _require_deadline(template if upload is None else None, deadline, code, upload_code_id)
    casework = _deadlines() if deadline is not None else None
    if casework is not None and deadline is not None:
        casework.check_deadline(deadline)  # before anything is rendered or stored
    rules = outbox_settings.get(session, case_file.tenant_id)
    PROFILES[rules.print_profile].rule(
        options.product.value, color=options.color, duplex=options.duplex
    )  # before any rendering
    portal = None
    if upload is None:
        portal, upload_code_id = _portal_notice(
            session, principal, case_file, code, upload_code_id, preview=False
        )
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        if upload is not None:
            fileobj: BinaryIO = upload
            title = subject or (filename or "Schreiben").rsplit(".", 1)[0]
        else:
            if template is None:
                raise LetterInvalid("pdf: send a PDF file or the template fields subject and body")
            spool.write(
                _render(
                    session, case_file, template, options.color, deadline=deadline, portal=portal
                )
            )
            fileobj = spool  # type: ignore[assignment]
            title = template.subject
        require_pdf(fileobj)
        fileobj = prepare_letter(fileobj)
        scanned = intake.scan_file(fileobj, max_bytes=max_bytes)
        checked = _check(fileobj, rules, options)
        intake.store(storage, fileobj, scanned)
    document = intake.add_document(
        session,
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        scanned=scanned,
        filename=filename or "schreiben.pdf",
        title=title,
        doc_type="Ausgangsschreiben",
        source=DocumentSource.letter,
        document_date=date.today(),
        created_by_id=principal.user_id,
    )
    pages = checked.pages
    letter = Letter(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        document_id=document.id,
        aktenzeichen=case_file.aktenzeichen,
        subject=title[:300],
        recipient="\n".join(checked.recipient_lines),
        recipient_address=checked.address.model_dump(),
        sender_address=rules.sender_address.model_dump() if rules.sender_address else None,
        print_profile=rules.print_profile,
        envelope=checked.envelope,
        product=options.product.value,
        color=options.color,
        duplex=options.duplex,
        page_count=pages,
        sheet_count=checked.sheets,
        sha256=scanned.sha256,
        size=scanned.size,
        status=LetterStatus.queued.value,
        created_by_id=principal.user_id,
    )
    session.add(letter)
    session.flush()
    lifecycle.add_event(session, letter, LetterStatus.queued, actor_id=principal.user_id)
    if casework is not None and deadline is not None:
        casework.from_letter(
            session,
            principal,
            case_file=case_file,
            document_id=document.id,
            subject=letter.subject,
            deadline=deadline,
            upload_code_id=upload_code_id,
        )
    audit.record(
        session,
        principal,
        "letter.create",
        object_type="letter",
        object_id=letter.id,
        detail={
            "case_file_id": str(case_file.id),
            "product": letter.product,
            "pages": pages,
            "envelope": letter.envelope,
        },
    )
    if repository.queued_count(session, letter.tenant_id, letter.product) >= rules.max_batch_size:
        jobs.enqueue(
            session, SEAL_TASK, {"tenant_id": str(letter.tenant_id), "product": letter.product}
        )
    session.flush()
    return letter


def _deadlines():  # type: ignore[no-untyped-def]
    """The casework feature's deadline follow-ups; without it a deadline is refused rather
    than silently dropped."""
    from akte.features import _optional

    module = _optional("akte.casework.deadlines")
    if module is None:
        raise Unprocessable(
            "Fristen brauchen die Wiedervorlagen (Sachbearbeitung), die hier "
            "nicht installiert sind",
            code="deadline_unsupported",
        )
    return module


def _visible_letter(session: Session, principal: Principal, letter_id: uuid.UUID) -> Letter:
    principal.require_role(*CASE_ROLES)
    letter = session.scalar(
        repository.readable_letter_statement(principal).where(Letter.id == letter_id)
    )
    if letter is None:
        raise NotFound("letter not found")
    return letter


def to_read(session: Session, letters: list[Letter]) -> list[LetterRead]:
    events = repository.history(session, [letter.id for letter in letters])
    return [
        LetterRead.model_validate(letter).model_copy(
            update={
                "history": [LetterEventRead.model_validate(e) for e in events[letter.id]],
                # letters stored before 0810: the structure read from their lines
                "recipient_address": Address.model_validate(structured_address(letter)),
            }
        )
        for letter in letters
    ]


def list_query(session: Session, principal: Principal, case_file_id: uuid.UUID):
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(session, principal, "letter.list", object_type="case_file", object_id=case_file.id)
    return repository.letters_of_case_file(principal, case_file.id)


def list_letters(session: Session, principal: Principal, case_file_id: uuid.UUID) -> list:
    """Every letter of an Akte with its history, newest first (for the web UI)."""
    stmt = list_query(session, principal, case_file_id)
    return to_read(session, list(session.scalars(stmt)))


def get_letter(session: Session, principal: Principal, letter_id: uuid.UUID) -> LetterRead:
    letter = _visible_letter(session, principal, letter_id)
    audit.record(session, principal, "letter.read", object_type="letter", object_id=letter.id)
    return to_read(session, [letter])[0]


def letter_of_document(session: Session, principal: Principal, document_id: uuid.UUID):
    document = documents.get_visible(session, principal, document_id)
    letter = repository.letter_by_document(session, document.id)
    if letter is None:
        raise NotFound("this document is not a letter", code="not_a_letter")
    audit.record(session, principal, "letter.read", object_type="letter", object_id=letter.id)
    return to_read(session, [letter])[0]


def cancel(session: Session, principal: Principal, letter_id: uuid.UUID) -> Letter:
    """Cancel a queued letter. The conditional update loses cleanly against a sealer:
    once a letter is in a batch it cannot be cancelled (409)."""
    letter = _visible_letter(session, principal, letter_id)
    if letter.status == LetterStatus.cancelled:
        return letter
    done = session.execute(
        update(Letter)
        .where(
            Letter.id == letter.id, Letter.status == LetterStatus.queued, Letter.batch_id.is_(None)
        )
        .values(status=LetterStatus.cancelled.value)
        .execution_options(synchronize_session=False)
    )
    session.refresh(letter)
    if done.rowcount != 1:
        raise Conflict(
            f"the letter is already {letter.status}; it can no longer be cancelled",
            code="letter_not_cancellable",
        )
    lifecycle.add_event(session, letter, LetterStatus.cancelled, actor_id=principal.user_id)
    audit.record(session, principal, "letter.cancel", object_type="letter", object_id=letter.id)
    session.flush()
    return letter
