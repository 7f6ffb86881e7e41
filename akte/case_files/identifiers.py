"""Permissive parsing of file references as people type them.

``AZ-2024-000123``, ``az 2024/123`` and ``AZ2024000123`` name the same Akte; BG-Nummern
(``12345BG0012345``) are compared without spaces, dashes or slashes and in upper case.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-/._]+")


def normalize_identifier(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = _SEPARATORS.sub("", value).upper()
    return cleaned or None
