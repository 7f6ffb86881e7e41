"""Per-tenant outbox settings: cut-off times, batch size, acknowledgement timeout, limits.

Numbers and switches take JSON numbers and booleans only (``JsonInt``, ``strict``: ``"5"``
is no integer, ``0`` no boolean), dates ISO text only, as the published schema says.

Stored as one JSON row per tenant (``outbox_settings``) so a tenant admin can change them
at run time without a deployment; missing keys fall back to :data:`DEFAULTS`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from sqlalchemy.orm import Session

from akte.core.isotime import IsoDate
from akte.core.jsontypes import JsonInt
from outbox.addresses import COUNTRIES, PostalAddress
from outbox.models import OutboxSettings
from outbox.profiles import PROFILES

#: ``HH:MM`` (or ``HH:MM:SS``), 24 hours: published and checked alike.
CUTOFF_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"

#: What ``GET /outbox/settings`` shows instead of a stored secret; sent back unchanged
#: by ``PUT``, it keeps the stored one.
MASK = "********"


#: 1 = Monday … 7 = Sunday. (The schema is spelt out: pydantic publishes the bounds of a
#: validated list item as ``ge``/``le``, which JSON Schema does not know.)
IsoWeekday = Annotated[
    JsonInt, Field(ge=1, le=7), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 7})
]


class PushProviderSettings(BaseModel):
    """A push provider the tenant's sealed batches are uploaded to (:mod:`outbox.push`).

    Products the provider does not offer stay with the pull API."""

    kind: str = Field(pattern=r"^(epost)$")
    base_url: str = Field(default="https://api.epost.docuguide.com", pattern=r"^https?://")
    vendor_id: str
    ekp: str
    secret: str
    password: str
    #: the provider's test mode: letters are processed but not printed or posted
    test_mode: bool = Field(default=False, strict=True)
    #: how often open letters are asked for their status
    poll_seconds: JsonInt = Field(default=1800, ge=10, le=86_400)


class SenderAddress(PostalAddress):
    """The issuing authority's address: its country one akte writes letters for (the
    codes are published, upper case as stored)."""

    country: Literal[tuple(COUNTRIES)] = "DE"  # type: ignore[valid-type]


class TenantOutboxSettings(BaseModel):
    #: Local times at which queued letters are sealed into batches.
    cutoff_times: list[Annotated[str, Field(pattern=CUTOFF_PATTERN)]] = Field(
        default_factory=lambda: ["14:00"]
    )
    #: ISO weekdays on which the cut-offs apply (1 = Monday).
    working_days: list[IsoWeekday] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    timezone: str = "Europe/Berlin"
    #: A batch is sealed as soon as this many letters of one product are queued.
    max_batch_size: JsonInt = Field(default=2000, ge=1, le=100_000)
    #: A downloaded batch not acknowledged within this time is offered again.
    ack_timeout_seconds: JsonInt = Field(default=4 * 3600, ge=0)
    max_pages: JsonInt = Field(default=20, ge=1, le=500)
    #: Rücksendeangabe printed small in the lowest line of the Zusatz- und Vermerkzone.
    return_address: str | None = None
    #: Letterhead lines under the tenant name (address, phone, opening hours).
    letterhead_lines: list[str] = Field(default_factory=list)
    #: Regional public holidays (ISO dates) on top of the nationwide ones.
    extra_holidays: list[IsoDate] = Field(default_factory=list)
    #: The print profile (``outbox.profiles.PROFILES``): zones and margins the print
    #: check and the letter template follow.
    print_profile: str = Field(default="din5008_b", json_schema_extra={"enum": list(PROFILES)})
    #: The issuing authority's postal address (structured); gives the letters' sender
    #: country and, without ``return_address``, the Rücksendeangabe.
    sender_address: SenderAddress | None = None
    #: Upload sealed batches to this provider instead of waiting for a pull.
    push_provider: PushProviderSettings | None = None

    @property
    def origin(self) -> str:
        """The sender's country: foreign mail is what goes elsewhere."""
        return self.sender_address.country if self.sender_address else "DE"

    @field_validator("sender_address", mode="before")
    @classmethod
    def _as_sender(cls, value: object) -> object:
        """A :class:`PostalAddress` built in code is taken as a sender address (and its
        country checked like one)."""
        if isinstance(value, PostalAddress) and not isinstance(value, SenderAddress):
            return value.model_dump()
        return value

    @field_validator("print_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown print profile; known: {', '.join(PROFILES)}")
        return value

    @field_validator("cutoff_times")
    @classmethod
    def _hhmm(cls, values: list[str]) -> list[str]:
        from datetime import time

        for value in values:
            time.fromisoformat(value)
        return values


def get(session: Session, tenant_id: uuid.UUID) -> TenantOutboxSettings:
    row = session.get(OutboxSettings, tenant_id)
    return TenantOutboxSettings.model_validate(row.values if row else {})


def masked(values: TenantOutboxSettings) -> TenantOutboxSettings:
    """The settings as a tenant admin sees them: push credentials replaced by :data:`MASK`."""
    if values.push_provider is None:
        return values
    push = values.push_provider.model_copy(update={"secret": MASK, "password": MASK})
    return values.model_copy(update={"push_provider": push})


def put(session: Session, tenant_id: uuid.UUID, values: TenantOutboxSettings) -> None:
    row = session.get(OutboxSettings, tenant_id)
    data = values.model_dump(mode="json")
    old_push = (row.values if row else {}).get("push_provider") or {}
    for key in ("secret", "password"):
        if data.get("push_provider") and data["push_provider"][key] == MASK:
            data["push_provider"][key] = old_push.get(key, "")
    if row is None:
        session.add(OutboxSettings(tenant_id=tenant_id, values=data))
    else:
        row.values = data
    session.flush()
