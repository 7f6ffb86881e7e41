"""Checks on a provider's status report before it touches the letter.

Why here and not in :mod:`outbox.lifecycle`: these rules compare the report with the
letter's facts (its product, sealing time, the dates already reported, today's date in the
tenant's time zone), while the life cycle only orders statuses. Each failure names its
reason so a provider's operator can correct the report:

* **shape** (422): a date for ``posted``/``delivered``, a reason for ``returned``, a reason
  code and text for ``rejected``, a tracking number only for Einschreiben and PZU, a proof
  document only with ``delivered`` of a product that has one;
* **dates** (409): nothing in the future, nothing before the batch was sealed, delivered
  not before posted (whichever of the two arrives first).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from akte.core.errors import Conflict, Unprocessable
from outbox.models import Letter, LetterStatus, Product
from outbox.schemas import StatusReport

TRACKED = {
    Product.einschreiben_einwurf,
    Product.einschreiben,
    Product.einschreiben_rueckschein,
    Product.pzu,
}
#: Proof document per product, as filed into the Akte (doc type).
PROOF_DOC_TYPE = {
    Product.pzu: "Zustellungsurkunde",
    Product.einschreiben_rueckschein: "Rückschein",
    Product.einschreiben: "Auslieferungsbeleg",
    Product.einschreiben_einwurf: "Auslieferungsbeleg",
}
#: Products whose proof document, not the four-day rule, gives the legal delivery date
#: (§ 37 Abs. 2 Satz 1 SGB X / § 4 Abs. 2 Satz 1 VwZG: the Rückschein proves the day;
#: § 3 VwZG: the Zustellungsurkunde does).
PROOF_SETS_DATE = {Product.pzu, Product.einschreiben_rueckschein}


def check_shape(letter: Letter, report: StatusReport, has_proof: bool) -> None:
    status = LetterStatus(report.status)
    if status in {LetterStatus.posted, LetterStatus.delivered} and report.on is None:
        raise Unprocessable(f"{status.value} needs the date", code="date_required")
    if status == LetterStatus.returned and not report.reason:
        raise Unprocessable("returned needs a reason", code="reason_required")
    if status == LetterStatus.rejected and not (report.reason_code and report.reason):
        raise Unprocessable("rejected needs reason_code and reason", code="reason_required")
    if report.tracking_number and Product(letter.product) not in TRACKED:
        raise Unprocessable(
            f"a {letter.product} has no tracking number", code="tracking_not_applicable"
        )
    if has_proof:
        if status != LetterStatus.delivered:
            raise Unprocessable(
                "a proof document belongs to the delivered report", code="proof_not_applicable"
            )
        if Product(letter.product) not in PROOF_DOC_TYPE:
            raise Unprocessable(
                f"a {letter.product} has no proof of delivery", code="proof_not_applicable"
            )


def check_dates(
    letter: Letter, report: StatusReport, sealed_at: datetime | None, timezone: str, now: datetime
) -> None:
    """409 for a date that cannot be true of this letter."""
    on = report.on
    if on is None:
        return
    zone = ZoneInfo(timezone)
    if on > now.astimezone(zone).date():
        raise Conflict(f"the date {on.isoformat()} lies in the future", code="date_in_future")
    if sealed_at is not None and on < sealed_at.astimezone(zone).date():
        raise Conflict(
            f"the date {on.isoformat()} lies before the batch was sealed "
            f"({sealed_at.astimezone(zone).date().isoformat()})",
            code="date_before_sealing",
        )
    status = LetterStatus(report.status)
    if (
        status in {LetterStatus.delivered, LetterStatus.returned}
        and letter.posted_on
        and on < letter.posted_on
    ):
        raise Conflict(
            f"{status.value} on {on.isoformat()} lies before the posting date "
            f"{letter.posted_on.isoformat()}",
            code="date_before_posting",
        )
    if status == LetterStatus.posted and letter.delivered_on and on > letter.delivered_on:
        raise Conflict(
            f"posted on {on.isoformat()} lies after the reported delivery "
            f"{letter.delivered_on.isoformat()}",
            code="date_after_delivery",
        )


def check_tracking(letter: Letter, tracking_number: str | None) -> bool:
    """Whether the report adds a tracking number; 409 when it contradicts the recorded one."""
    if not tracking_number:
        return False
    if letter.tracking_number and letter.tracking_number != tracking_number:
        raise Conflict(
            f"the letter already has tracking number {letter.tracking_number}",
            code="tracking_conflict",
        )
    return letter.tracking_number is None


def legal_date(letter: Letter, fiction: date | None) -> tuple[date | None, str | None]:
    """The date the letter counts as received and where it comes from.

    With a proof that the law accepts (PZU, Rückschein) it is the date on the proof;
    otherwise the four-day fiction from the posting date (``fiction``), replaced by a
    reported later delivery (§ 37 Abs. 2 Satz 3 SGB X). A returned letter that was never
    reported delivered has none; one returned after delivery keeps it (flagged).
    """
    proven = letter.proof_document_id is not None and letter.delivered_on is not None
    if Product(letter.product) in PROOF_SETS_DATE and proven:
        return letter.delivered_on, "proof"
    if letter.product == Product.pzu:
        return letter.delivered_on, None
    if letter.status == LetterStatus.returned and letter.delivered_on is None:
        return None, None
    if fiction is None:
        return None, None
    if letter.delivered_on is not None and letter.delivered_on > fiction:
        return letter.delivered_on, "delivered"
    return fiction, "fiction"
