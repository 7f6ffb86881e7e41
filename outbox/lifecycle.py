"""Moving a letter through its life cycle and writing its history.

``queued → batched → handed_over → printed → posted → delivered | returned``;
``rejected`` (the provider cannot print or post it) from anywhere after ``batched``;
``cancelled`` only from ``queued``. Rules for reports (see :func:`apply`):

* a status already in the history is a **duplicate**: nothing changes (same data) or 409
  (a different date or reason: the provider contradicts itself);
* a status **ahead** of the current one is accepted even if steps were skipped
  (``delivered`` before ``posted``): the current status moves forward;
* a status **behind** the current one that is missing from the history is a late report:
  it is recorded (the history is shown in life-cycle order) but the current status never
  moves backwards;
* ``returned`` after ``delivered`` (a refused PZU, a letter sent back by a neighbour) is real
  life, not a contradiction: both are kept, the letter shows ``returned`` and is flagged
  ``return_after_delivery`` for the caseworker to judge; the same holds when the two reports
  arrive the other way round;
* ``rejected`` excludes ``posted``, ``delivered`` and ``returned`` (a letter that was never
  posted cannot arrive), and a cancelled letter takes no reports: 409;
* a report on a letter whose batch is not yet acknowledged is accepted (the provider
  evidently has it); the later ``ack`` adds the ``handed_over`` step to its history.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.core.errors import Conflict
from outbox.models import RANK, Letter, LetterEvent, LetterStatus

#: Reports that cannot both be true of one letter.
EXCLUSIVE = {
    LetterStatus.rejected: (LetterStatus.posted, LetterStatus.delivered, LetterStatus.returned),
    LetterStatus.posted: (LetterStatus.rejected,),
    LetterStatus.delivered: (LetterStatus.rejected,),
    LetterStatus.returned: (LetterStatus.rejected,),
}
#: Data of a report that must match when the same status is reported again.
COMPARED = ("reason", "reason_code")


def add_event(
    session: Session,
    letter: Letter,
    status: LetterStatus,
    *,
    occurred_on: date | None = None,
    actor_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        LetterEvent(
            letter_id=letter.id,
            status=status.value,
            occurred_on=occurred_on,
            actor_id=actor_id,
            detail=detail or {},
        )
    )


def existing_event(session: Session, letter_id: uuid.UUID, status: str) -> LetterEvent | None:
    return session.scalar(
        select(LetterEvent).where(LetterEvent.letter_id == letter_id, LetterEvent.status == status)
    )


def apply(
    session: Session,
    letter: Letter,
    status: LetterStatus,
    *,
    occurred_on: date | None,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
) -> bool:
    """Record a provider report; ``False`` when it was a duplicate (nothing changed)."""
    if letter.status == LetterStatus.cancelled:
        raise Conflict("the letter was cancelled", code="letter_cancelled")
    previous = existing_event(session, letter.id, status.value)
    if previous is not None:
        same_date = occurred_on is None or previous.occurred_on == occurred_on
        same_data = all(detail.get(key) in (None, previous.detail.get(key)) for key in COMPARED)
        if same_date and same_data:
            return False
        raise Conflict(
            f"{status.value} was already reported with other data", code="report_conflict"
        )
    for other in EXCLUSIVE.get(status, ()):
        if existing_event(session, letter.id, other.value):
            raise Conflict(f"the letter was already reported {other.value}", code="report_conflict")
    pair = {
        LetterStatus.delivered: LetterStatus.returned,
        LetterStatus.returned: LetterStatus.delivered,
    }
    if status in pair and existing_event(session, letter.id, pair[status].value):
        letter.return_after_delivery = True
    add_event(session, letter, status, occurred_on=occurred_on, actor_id=actor_id, detail=detail)
    if RANK[status] > RANK[LetterStatus(letter.status)]:
        letter.status = status.value
    session.flush()
    return True
