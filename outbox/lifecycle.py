"""Moving a letter through its life cycle and writing its history.

``queued → batched → handed_over → printed → posted → delivered | returned``; ``cancelled``
only from ``queued``. Rules for reports (see :func:`apply`):

* a status already in the history is a **duplicate**: nothing changes (same data) or 409
  (a different date or reason: the provider contradicts itself);
* a status **ahead** of the current one is accepted even if steps were skipped
  (``delivered`` before ``posted``): the current status moves forward;
* a status **behind** the current one that is missing from the history is a late report:
  it is recorded (the history is shown in life-cycle order) but the current status never
  moves backwards;
* ``delivered`` and ``returned`` exclude each other, and a cancelled letter takes no
  reports: 409;
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
        same_reason = detail.get("reason") in (None, previous.detail.get("reason"))
        if same_date and same_reason:
            return False
        raise Conflict(
            f"{status.value} was already reported with other data", code="report_conflict"
        )
    opposite = {LetterStatus.delivered: "returned", LetterStatus.returned: "delivered"}
    if status in opposite and existing_event(session, letter.id, opposite[status]):
        raise Conflict(
            f"the letter was already reported {opposite[status]}", code="report_conflict"
        )
    add_event(session, letter, status, occurred_on=occurred_on, actor_id=actor_id, detail=detail)
    if RANK[status] > RANK[LetterStatus(letter.status)]:
        letter.status = status.value
    session.flush()
    return True
