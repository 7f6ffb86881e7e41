"""Date-times from query strings, ISO 8601 only.

Pydantic's lax mode reads a number as a Unix timestamp, so ``?to=0.5`` meant
1970-01-01T00:00:00.5 while the published schema says ``format: date-time``. A value that
does not start like an ISO date (``YYYY-MM-DD``) is refused with a 422 instead.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    if isinstance(value, str) and not _ISO_START.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2024-01-31T12:00:00Z")
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 date-time, not a number")
    return value


#: A ``datetime`` that accepts ISO 8601 text only (no Unix timestamps).
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
