"""A mail to the citizen when the papers of one upload have been processed.

At upload the citizen may leave an e-mail address (only when a mail server is configured,
``AKTE_SMTP_HOST``). It is kept in :class:`~akte.web.notify_models.ReceiptNotice`, one row
per receipt, and nowhere else: not in the receipt, the audit log or the job payloads.

The periodic task ``portal.notify`` looks at each waiting row: once every document of the
receipt has been filed or returned, one mail goes out in the citizen's language, saying
only that the papers of that date were processed (or that at least one could not be
accepted) and linking to the status page, which needs the upload code. No name, no
Aktenzeichen, no file names, no office: whoever else reads the mailbox learns nothing about
the citizen's affairs. The row is deleted when the server has accepted the mail; if the
papers are never all processed, it is deleted unsent ``AKTE_PORTAL_NOTIFY_KEEP_DAYS`` after
the code expired. A refusal or an unreachable server is kept as ``last_error`` (without the
address) and the next run tries again.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.settings import Settings
from akte.documents.models import Document
from akte.inbox.repository import rejections
from akte.uploads.models import UploadCode, UploadReceipt
from akte.web.notify_models import ReceiptNotice

log = logging.getLogger("akte.portal")
TASK = "portal.notify"
BERLIN = ZoneInfo("Europe/Berlin")
FILED, RETURNED = "filed", "returned"
#: No whitespace or control characters anywhere (no header injection), one ``@``, a dot in
#: the domain. Whether the mailbox exists only the mail server can tell.
_ADDRESS = re.compile(
    r"^[^@\s<>()\[\],;:\"\\]{1,64}@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]+$"
)

#: The notice in the portal's six languages: the date, the status link, nothing else.
TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "subject": "Ihre Unterlagen vom {date}",
        FILED: "Guten Tag,\n\nIhre Unterlagen vom {date}, gesendet über das Upload-Portal, "
        "sind eingegangen und wurden bearbeitet.",
        RETURNED: "Guten Tag,\n\nIhre Unterlagen vom {date}, gesendet über das Upload-Portal, "
        "sind eingegangen. Mindestens eine Unterlage konnte nicht angenommen werden.",
        "link": "Was daraus wurde und was Sie tun können, sehen Sie mit Ihrem Upload-Code hier:",
        "auto": "Diese Nachricht wurde automatisch gesendet. Bitte antworten Sie nicht darauf.",
    },
    "en": {
        "subject": "Your papers of {date}",
        FILED: "Hello,\n\nthe papers you sent through the upload portal on {date} have been "
        "received and processed.",
        RETURNED: "Hello,\n\nthe papers you sent through the upload portal on {date} have been "
        "received. At least one of them could not be accepted.",
        "link": "See what became of them, and what you can do, here with your upload code:",
        "auto": "This message was sent automatically. Please do not reply to it.",
    },
    "ar": {
        "subject": "مستنداتك بتاريخ {date}",
        FILED: "مرحبًا،\n\nتم استلام المستندات التي أرسلتها عبر بوابة الرفع بتاريخ {date} "
        "وتمت معالجتها.",
        RETURNED: "مرحبًا،\n\nتم استلام المستندات التي أرسلتها عبر بوابة الرفع بتاريخ {date}. "
        "تعذّر قبول مستند واحد على الأقل منها.",
        "link": "اطّلع هنا باستخدام رمز الرفع الخاص بك على ما حدث لها وما يمكنك فعله:",
        "auto": "أُرسلت هذه الرسالة تلقائيًا. يرجى عدم الرد عليها.",
    },
    "fa": {
        "subject": "مدارک شما به تاریخ {date}",
        FILED: "سلام،\n\nمدارکی که در تاریخ {date} از طریق درگاه بارگذاری فرستادید دریافت و "
        "رسیدگی شد.",
        RETURNED: "سلام،\n\nمدارکی که در تاریخ {date} از طریق درگاه بارگذاری فرستادید دریافت "
        "شد. دست‌کم یکی از آن‌ها پذیرفته نشد.",
        "link": "با کد بارگذاری خود اینجا ببینید چه شد و چه کاری می‌توانید بکنید:",
        "auto": "این پیام به طور خودکار فرستاده شده است. لطفاً به آن پاسخ ندهید.",
    },
    "ti": {
        "subject": "ሰነዳትኩም ናይ {date}",
        FILED: "ሰላም፡\n\nእቶም ብ{date} ብመገዲ ፖርታል ዝለኣኽኩምዎም ሰነዳት በጺሖም ተሰሪሖም እዮም።",
        RETURNED: "ሰላም፡\n\nእቶም ብ{date} ብመገዲ ፖርታል ዝለኣኽኩምዎም ሰነዳት በጺሖም እዮም። "
        "እንተወሓደ ሓደ ሰነድ ክቕበል ኣይከኣለን።",
        "link": "እንታይ ከም ዝኾኑን እንታይ ክትገብሩ ከም ትኽእሉን ብኮድኩም ኣብዚ ርኣዩ፡",
        "auto": "እዚ መልእኽቲ ብኣውቶማቲክ እዩ ተላኢኹ። በጃኹም መልሲ ኣይትሃቡ።",
    },
    "ur": {
        "subject": "آپ کی دستاویزات بتاریخ {date}",
        FILED: "السلام علیکم،\n\nآپ نے {date} کو اپ لوڈ پورٹل کے ذریعے جو دستاویزات بھیجیں وہ "
        "موصول ہو گئیں اور ان پر کارروائی ہو چکی ہے۔",
        RETURNED: "السلام علیکم،\n\nآپ نے {date} کو اپ لوڈ پورٹل کے ذریعے جو دستاویزات بھیجیں "
        "وہ موصول ہو گئیں۔ ان میں سے کم از کم ایک قبول نہیں کی جا سکی۔",
        "link": "ان کا کیا ہوا اور آپ کیا کر سکتے ہیں، اپنے اپ لوڈ کوڈ کے ساتھ یہاں دیکھیں:",
        "auto": "یہ پیغام خودکار طور پر بھیجا گیا ہے۔ براہ کرم اس کا جواب نہ دیں۔",
    },
}


def enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host.strip()) and settings.portal_notify_interval_seconds > 0


def valid_address(text: str) -> str | None:
    """The address as given (trimmed) if it looks like one, else ``None``."""
    address = text.strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        return None
    return address


def remember(session: Session, receipt: UploadReceipt, address: str, language: str) -> None:
    """Keep the address for this receipt's notice, in the upload's transaction."""
    session.add(
        ReceiptNotice(
            receipt_id=receipt.id,
            tenant_id=receipt.tenant_id,
            email=address,
            language=language,
            attempts=0,
        )
    )
    session.flush()


def outcome(session: Session, receipt: UploadReceipt) -> str | None:
    """``filed`` when every document still there was filed, ``returned`` when one was
    returned, ``None`` while one waits in the Posteingang (or none is left)."""
    ids = []
    for item in receipt.items:
        try:
            ids.append(uuid.UUID(item["document_id"]))
        except (KeyError, ValueError):
            continue
    documents = (
        list(
            session.scalars(
                select(Document).where(
                    Document.id.in_(ids), Document.case_file_id == receipt.case_file_id
                )
            )
        )
        if ids
        else []
    )
    if not documents:
        return None
    returned = rejections(session, [d.id for d in documents])
    if any(not d.filed and d.id not in returned for d in documents):
        return None
    return RETURNED if returned else FILED


def message(
    settings: Settings, to: str, language: str, state: str, receipt: UploadReceipt
) -> EmailMessage:
    texts = TEXTS.get(language) or TEXTS["de"]
    day = receipt.created_at.astimezone(BERLIN).strftime("%d.%m.%Y")
    link = f"{settings.effective_public_url}/upload/status?lang={language}"
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = texts["subject"].format(date=day)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office answers
    mail.set_content(
        f"{texts[state].format(date=day)}\n\n{texts['link']}\n{link}\n\n{texts['auto']}\n"
    )
    mail["Content-Language"] = language  # after set_content, which clears Content-* headers
    return mail


def _deliver(settings: Settings, mail: EmailMessage) -> None:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_tls:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with server:
        if settings.smtp_starttls and not settings.smtp_tls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            server.login(settings.smtp_username, settings.smtp_password)
        server.send_message(mail)


@dataclass(frozen=True)
class RunResult:
    sent: int = 0
    waiting: int = 0
    failed: int = 0
    dropped: int = 0


def send_due(ctx: AppContext, *, limit: int = 200) -> RunResult:
    """Send the notices whose papers are all processed; drop addresses kept too long.
    One transaction per notice, the mail sent before the row is deleted: a crash between
    the two sends the notice again on the next run rather than never."""
    settings = ctx.settings
    if not enabled(settings):
        return RunResult()
    sent = waiting = failed = dropped = 0
    with session_scope(ctx.session_factory) as session:
        ids = list(
            session.scalars(
                select(ReceiptNotice.id).order_by(ReceiptNotice.created_at).limit(limit)
            )
        )
    for notice_id in ids:
        with session_scope(ctx.session_factory) as session:
            row = session.get(ReceiptNotice, notice_id)
            if row is None:
                continue
            receipt = session.get(UploadReceipt, row.receipt_id)
            code = session.get(UploadCode, receipt.upload_code_id) if receipt else None
            keep = timedelta(days=settings.portal_notify_keep_days)
            if receipt is None or code is None or code.expires_at + keep <= utcnow():
                _forget(session, row, "portal.notice_dropped")
                dropped += 1
                continue
            state = outcome(session, receipt)
            if state is None:
                waiting += 1
                continue
            try:
                _deliver(settings, message(settings, row.email, row.language, state, receipt))
            except (OSError, smtplib.SMTPException) as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}".replace(row.email, "<address>")[
                    :1000
                ]
                log.warning("portal notice for receipt %s not sent: %s", receipt.id, row.last_error)
                failed += 1
                continue
            _forget(session, row, "portal.notice_sent", state=state)
            sent += 1
    return RunResult(sent, waiting, failed, dropped)


def _forget(session: Session, row: ReceiptNotice, action: str, **detail: str) -> None:
    """Delete the row (the address with it); the audit entry names the receipt only."""
    audit.record(
        session,
        None,
        action,
        tenant_id=row.tenant_id,
        object_type="upload_receipt",
        object_id=row.receipt_id,
        detail={"attempts": row.attempts, **detail},
    )
    session.execute(delete(ReceiptNotice).where(ReceiptNotice.id == row.id))
    session.flush()
