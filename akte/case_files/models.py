"""The Akte: the file of one Bedarfsgemeinschaft or person."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from akte.case_files.identifiers import canonical_key, normalize_identifier, tenant_pattern
from akte.case_files.names import fold_name
from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey
from akte.tenants.models import Tenant


class CaseFile(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "case_files"
    __table_args__ = (
        UniqueConstraint("tenant_id", "aktenzeichen"),
        Index("ix_case_files_tenant_bg", "tenant_id", "bg_nummer_norm"),
        Index("ix_case_files_tenant_org_unit", "tenant_id", "org_unit_id"),
        Index(
            "uq_case_files_tenant_aktenzeichen_key", "tenant_id", "aktenzeichen_key", unique=True
        ),
        Index("ix_case_files_tenant_kundennummer", "tenant_id", "kundennummer_norm"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"))
    aktenzeichen: Mapped[str] = mapped_column(String(64))
    #: The canonical Aktenzeichen (see :mod:`akte.case_files.identifiers`): unique per
    #: tenant, what every lookup compares. ``None`` only for an Akte whose key collided with
    #: an older one when the key was introduced (``akte admin aktenzeichen-conflicts``).
    aktenzeichen_key: Mapped[str | None] = mapped_column(String(64))
    bg_nummer: Mapped[str | None] = mapped_column(String(64))
    #: BG-Nummer without separators, upper case: what lookups compare against.
    bg_nummer_norm: Mapped[str | None] = mapped_column(String(64))
    kundennummer: Mapped[str | None] = mapped_column(String(64))
    kundennummer_norm: Mapped[str | None] = mapped_column(String(64))
    betreff: Mapped[str | None] = mapped_column(String(500))
    person_name: Mapped[str | None] = mapped_column(String(200))
    #: ``person_name`` folded (:mod:`akte.case_files.names`): what the Akten filter compares.
    person_name_key: Mapped[str | None] = mapped_column(String(200))
    #: Postal address of the recipient of letters, one line per entry (DIN 5008 window).
    address_lines: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _pattern(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    options = connection.scalar(select(Tenant.options).where(Tenant.id == tenant_id))
    return tenant_pattern(options)


@event.listens_for(CaseFile, "before_insert")
def _keys_on_insert(_mapper: Mapper, connection: Connection, target: CaseFile) -> None:
    """Every way an Akte is created (API, import, demo, tests) gets the same keys."""
    target.aktenzeichen_key = canonical_key(
        target.aktenzeichen, _pattern(connection, target.tenant_id)
    )
    target.bg_nummer_norm = normalize_identifier(target.bg_nummer)
    target.kundennummer_norm = normalize_identifier(target.kundennummer)
    target.person_name_key = fold_name(target.person_name) or None


@event.listens_for(CaseFile, "before_update")
def _keys_on_update(_mapper: Mapper, connection: Connection, target: CaseFile) -> None:
    state = inspect(target)
    if state.attrs.aktenzeichen.history.has_changes():
        target.aktenzeichen_key = canonical_key(
            target.aktenzeichen, _pattern(connection, target.tenant_id)
        )
    if state.attrs.bg_nummer.history.has_changes():
        target.bg_nummer_norm = normalize_identifier(target.bg_nummer)
    if state.attrs.kundennummer.history.has_changes():
        target.kundennummer_norm = normalize_identifier(target.kundennummer)
    if state.attrs.person_name.history.has_changes():
        target.person_name_key = fold_name(target.person_name) or None
