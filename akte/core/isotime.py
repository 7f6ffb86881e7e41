"""Dates and date-times, ISO 8601 only.

Pydantic's lax mode reads a number as a Unix timestamp, so ``?to=0.5`` meant
1970-01-01T00:00:00.5 and ``?until=0`` or ``"extra_holidays": [0]`` meant 1970-01-01,
while the published schema says ``format: date-time`` / ``format: date``. A value that
does not start like an ISO date (``YYYY-MM-DD``) is refused with a 422 instead, and the
schema says so with a ``pattern``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The published form of :data:`IsoDate` (pydantic parses nothing else as a date).
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _iso_only(value: object) -> object:
    if isinstance(value, str) and not _ISO_START.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2024-01-31T12:00:00Z")
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 date-time, not a number")
    return value


#: A ``datetime`` that accepts ISO 8601 text only (no Unix timestamps).
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _iso_date_only(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(DATE_PATTERN, value):
        raise ValueError("expected an ISO 8601 date, e.g. 2024-01-31")
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 date, not a number")
    return value


#: A ``date`` that accepts ``YYYY-MM-DD`` text only (no Unix timestamps, no date-times).
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
