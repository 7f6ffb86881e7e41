"""Tables of the casework inside an Akte.

* ``vorgaenge``: procedures inside an Akte (an application, an objection). A document
  belongs to one Vorgang or none, recorded in ``vorgang_documents`` (the document id is the
  primary key, so "one or none" holds by construction and moving is one row update).
* ``case_notes``: Aktenvermerke. Append-only: there is no update or delete; a correction
  is a new note naming the one it corrects (``corrects_id``).
* ``follow_ups``: Wiedervorlagen with a due date, a reason and an assignee (a person or an
  org unit), on the Akte, optionally narrowed to a Vorgang or a document (letters are
  documents). ``follow_up_events`` keeps what happened to each: created, postponed, done,
  each with its note, so a postponement never overwrites the previous date silently.
  A follow-up set by a letter's deadline (``origin`` ``letter``) is marked when the citizen
  hands papers in through the upload portal (``papers_received_at``, event ``received``).

Every row carries its Akte's id: access is decided by the Akte (see ``repository``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, BigIntPK, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow


class VorgangStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class Vorgang(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "vorgaenge"
    __table_args__ = (Index("ix_vorgaenge_case_file", "case_file_id", "opened_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    #: Vorgangsart, e.g. "Weiterbewilligung", "Widerspruch" (free text, offered from a list)
    kind: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=VorgangStatus.open)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class VorgangDocument(Base):
    """The Vorgang a document belongs to; no row: the document belongs to none."""

    __tablename__ = "vorgang_documents"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    vorgang_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vorgaenge.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class CaseNote(UUIDPrimaryKey, Base):
    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_file", "case_file_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    vorgang_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vorgaenge.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    #: the note this one corrects (same Akte); the old note stays as it was
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_notes.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the author's name when writing: the Vermerk stays legible if the account goes
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUpStatus(enum.StrEnum):
    open = "open"
    done = "done"


class FollowUpOrigin(enum.StrEnum):
    manual = "manual"
    #: set by a letter with a deadline (Mitwirkung): reminds when the deadline passes
    letter = "letter"


class FollowUp(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_case_file", "case_file_id", "due_on"),
        Index("ix_follow_ups_assignee_user", "assignee_user_id", "status", "due_on"),
        Index("ix_follow_ups_assignee_unit", "assignee_org_unit_id", "status", "due_on"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    vorgang_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vorgaenge.id", ondelete="CASCADE")
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE")
    )
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assignee_org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=FollowUpStatus.open)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # --- migration 0890 ---
    origin: Mapped[str] = mapped_column(
        String(16), default=FollowUpOrigin.manual, server_default=FollowUpOrigin.manual.value
    )
    #: the upload code printed on the letter: an upload with it marks the papers received
    #: (no foreign key: codes belong to the web feature; a deleted code matches nothing)
    upload_code_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    #: when the citizen first handed papers in for it ("Unterlagen eingegangen")
    papers_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowUpEvent(Base):
    __tablename__ = "follow_up_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    follow_up_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    #: created | postponed | done | received (papers arrived through the upload portal)
    kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Vorgangsart(Base):
    """One entry of a tenant's list of Vorgangsarten, maintained by its tenant admin. A
    tenant without rows uses :data:`akte.casework.kinds.DEFAULT_VORGANGSARTEN`."""

    __tablename__ = "vorgangsarten"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Dokumentart(Base):
    """One entry of a tenant's list of Dokumentarten with the words that give it away in a
    recognised text (the Posteingang's suggestion). A tenant without rows uses
    :data:`akte.casework.doctypes.DEFAULT_DOKUMENTARTEN`."""

    __tablename__ = "dokumentarten"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: lower-case words; a text containing one suggests this Dokumentart
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
