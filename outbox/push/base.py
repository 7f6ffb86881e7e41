"""The adapter interface between akte's status model and a push provider's API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from akte.jobs.registry import TransientJobError


class ProviderUnavailable(TransientJobError):
    """The provider cannot be reached or answers 5xx/429: an outage, retried by the job
    queue without using up the job's attempts."""


class ProviderRefused(Exception):
    """The provider refused a request as malformed or unauthorised: an operator must act."""


@dataclass(frozen=True)
class PushLetter:
    """One letter as an adapter needs it: the PDF and what goes on the envelope."""

    letter_id: uuid.UUID
    pdf: bytes
    #: :class:`outbox.addresses.PostalAddress` as a dict
    recipient: dict[str, Any]
    sender: dict[str, Any] | None
    product: str
    color: bool
    duplex: bool


@dataclass(frozen=True)
class ProviderReport:
    """What a pull provider would have reported (see :class:`outbox.schemas.StatusReport`)."""

    status: str
    on: date | None = None
    reason: str | None = None
    reason_code: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class ProviderState:
    """A letter's state at the provider, translated into reports in life-cycle order."""

    provider_ref: str
    raw_status: str
    reports: list[ProviderReport] = field(default_factory=list)
    #: nothing will change any more: stop asking
    final: bool = False


class PushAdapter(Protocol):
    key: str

    def offers(self, product: str) -> bool:
        """Whether the provider has this postal product at all."""

    def refuses(self, letter: PushLetter) -> str | None:
        """Why this letter cannot go to the provider (German), or ``None``."""

    def submit(self, letters: list[PushLetter]) -> dict[uuid.UUID, str]:
        """Upload; the provider's id per letter. Raises :class:`ProviderUnavailable` or
        :class:`ProviderRefused`."""

    def poll(self, refs: list[str]) -> list[ProviderState]:
        """The current state of letters by the provider's ids."""
