"""Forms a citizen fills in on the portal with an upload code: the Veränderungsmitteilung.

A submission becomes one document in the Posteingang of the code's Akte: its version is a
PDF in German (rendered by the web layer, ``akte/web/form_pdf.py``), whatever language the
citizen used, and its first source is the structured answers as JSON exactly as given
(``answers.json``, schema below), so a Fachverfahren can take them over through
``GET /api/v1/documents/{id}/content?source=1``. A receipt row lists the document like an
upload, so the receipt page and the status page show it.

Which forms a tenant offers is its option ``portal_forms`` (a list of form names, empty
by default), set by the tenant admin.

``answers.json``::

    {"form": "veraenderungsmitteilung", "schema": 1, "language": "ar",
     "submitted_at": "2026-11-30T07:00:00+00:00", "aktenzeichen": "AZ-…",
     "changes": ["address", "bank"],
     "address": {"street": …, "postcode": …, "city": …, "moved_on": "2026-11-01"},
     "income": {"what": …, "amount_eur": "1250.00", "since": "2026-11-01"},
     "household": {"what": …, "since": …}, "bank": {"iban": "DE…", "holder": …},
     "remarks": …}

Only the chosen parts are present. Free text is kept as typed (in any language).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.storage import BlobStore
from akte.documents import compose
from akte.documents.models import Document, DocumentSource
from akte.tenants.models import Tenant
from akte.uploads.models import UploadCode, UploadReceipt

VERAENDERUNG = "veraenderungsmitteilung"
#: Form names a tenant can switch on (its option ``portal_forms``).
FORMS = (VERAENDERUNG,)
TITLE = "Veränderungsmitteilung"
CHANGES = ("address", "income", "household", "bank")
#: change -> its fields, in the order of the form: (name, kind, required)
FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "address": (
        ("street", "text", True),
        ("postcode", "postcode", True),
        ("city", "text", True),
        ("moved_on", "date", True),
    ),
    "income": (("what", "text", True), ("amount_eur", "amount", True), ("since", "date", True)),
    "household": (("what", "text", True), ("since", "date", True)),
    "bank": (("iban", "iban", True), ("holder", "text", True)),
}
TEXT_MAX = 300
REMARKS_MAX = 2000


def enabled(tenant: Tenant | None) -> list[str]:
    """The forms the tenant offers on the portal."""
    chosen = (tenant.options or {}).get("portal_forms") if tenant else None
    return [name for name in FORMS if isinstance(chosen, list) and name in chosen]


@dataclass
class Checked:
    """The answers as they will be stored, and per form field (``address.postcode``) the
    key of the text that says what is wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _date(value: str) -> str | None:
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _amount(value: str) -> str | None:
    cleaned = value.strip().replace(" ", "").replace("€", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1000000"):
        return None
    return f"{amount.quantize(Decimal('0.01'))}"


def iban_valid(value: str) -> bool:
    """ISO 13616: country, check digits, account; mod 97 of the rearranged number is 1."""
    iban = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    if iban.startswith("DE") and len(iban) != 22:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def check(form: dict[str, str], changes: list[str]) -> Checked:
    """Validate a submitted form (field names ``<change>.<field>``, ``remarks``)."""
    result = Checked()
    chosen = [c for c in CHANGES if c in changes]
    if not chosen:
        result.errors["changes"] = "err_choose"
    result.answers["changes"] = chosen
    for change in chosen:
        part: dict[str, str] = {}
        for name, kind, required in FIELDS[change]:
            key = f"{change}.{name}"
            raw = (form.get(key) or "").strip()
            if not raw:
                if required:
                    result.errors[key] = "err_required"
                continue
            value: str | None = raw[:TEXT_MAX] if len(raw) <= TEXT_MAX else None
            if value is None:
                result.errors[key] = "err_too_long"
                continue
            if kind == "postcode" and not re.fullmatch(r"\d{5}", raw):
                result.errors[key] = "err_postcode"
            elif kind == "date":
                value = _date(raw)
                if value is None or not date(1900, 1, 1) <= date.fromisoformat(value):
                    result.errors[key] = "err_date"
            elif kind == "amount":
                value = _amount(raw)
                if value is None:
                    result.errors[key] = "err_amount"
            elif kind == "iban":
                value = raw.replace(" ", "").upper()
                if not iban_valid(value):
                    result.errors[key] = "err_iban"
            if value is not None and key not in result.errors:
                part[name] = value
        result.answers[change] = part
    remarks = (form.get("remarks") or "").strip()
    if len(remarks) > REMARKS_MAX:
        result.errors["remarks"] = "err_too_long"
    elif remarks:
        result.answers["remarks"] = remarks
    return result


def answers_document(
    answers: dict[str, Any], *, lang: str, aktenzeichen: str, at: datetime
) -> dict[str, Any]:
    """The JSON a Fachverfahren reads (module docstring)."""
    return {
        "form": VERAENDERUNG,
        "schema": 1,
        "language": lang,
        "submitted_at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "aktenzeichen": aktenzeichen,
        **answers,
    }


def submit(
    session: Session,
    storage: BlobStore,
    code: UploadCode,
    *,
    answers: dict[str, Any],
    pdf: bytes,
    ip: str | None,
) -> tuple[Document, UploadReceipt]:
    """Store the form as a Posteingang document (PDF + answers.json) with a receipt."""
    data = json.dumps(answers, ensure_ascii=False, indent=2).encode()
    document, scanned = compose.add_rendered_document(
        session,
        storage,
        tenant_id=code.tenant_id,
        case_file_id=code.case_file_id,
        pdf=pdf,
        title=TITLE,
        doc_type=TITLE,
        source=DocumentSource.citizen_upload,
        sources=[("answers.json", "application/json", data)],
        filed=False,
    )
    receipt = UploadReceipt(
        upload_code_id=code.id,
        tenant_id=code.tenant_id,
        case_file_id=code.case_file_id,
        items=[
            {
                "document_id": str(document.id),
                "filename": f"{TITLE}.pdf",
                "size": scanned.size,
                "sha256": scanned.sha256,
                "mime_type": scanned.mime_type,
            }
        ],
        refused=[],
    )
    session.add(receipt)
    session.flush()
    audit.record(
        session,
        None,
        "document.citizen_form",
        tenant_id=code.tenant_id,
        object_type="case_file",
        object_id=code.case_file_id,
        ip=ip,
        detail={
            "upload_code_id": str(code.id),
            "receipt_id": str(receipt.id),
            "form": VERAENDERUNG,
            "document_id": str(document.id),
        },
    )
    return document, receipt
