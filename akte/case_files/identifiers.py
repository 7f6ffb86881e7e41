"""Permissive parsing of file references as people type them, and their canonical keys.

``AZ-2024-000123``, ``az 2024/000123`` and ``AZ2024000123`` name the same Akte: the
canonical key drops spaces, hyphens, slashes, dots and underscores and is upper case
(``AZ2024000123``). BG-Nummern (``12345BG0012345``) and Kundennummern are compared the
same way.

Leading zeros are only comparable when the tenant says how wide each number is: the tenant
option ``aktenzeichen_pattern`` is a template such as ``AZ-9999-999999`` (letters are
literal, each run of ``9`` is a number of that many digits). An input that splits into the
same letter and number runs as the template (``AZ 2024-123``) has each number padded to the
template's width (or stripped of surplus leading zeros) before the separators are dropped,
so ``AZ 2024-123`` and ``AZ-2024-000123`` share the key ``AZ2024000123``. An input that does
not fit the template keeps the plain key, which is what the full form produces anyway.
Without a pattern, ``AZ-2024-123`` and ``AZ-2024-000123`` stay different Akten: a number
could legitimately differ only by a zero.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-/._]+")
#: Letter runs and digit runs, in order (separators and anything else fall between them).
_RUNS = re.compile(r"[^\W\d_]+|\d+")
PATTERN_OPTION = "aktenzeichen_pattern"
#: What :func:`check_pattern` accepts, published (Python's Unicode classes): letters, ``9``
#: and separators, with at least one ``9``.
PATTERN_SCHEMA = r"^(?:[^\W\d]|[\s\-/.9])*9(?:[^\W\d]|[\s\-/.9])*$"


def normalize_identifier(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = _SEPARATORS.sub("", value).upper()
    return cleaned or None


class PatternError(ValueError):
    """An ``aktenzeichen_pattern`` that is not a template of letters and ``9`` runs."""


def check_pattern(pattern: str) -> str:
    """The pattern, if it is usable: letters, runs of ``9`` and separators only."""
    runs = _RUNS.findall(pattern.upper())
    if not runs or not any(r.isdecimal() for r in runs):
        raise PatternError("the pattern needs at least one number field written as 9s")
    if any(r.isdecimal() and set(r) != {"9"} for r in runs):
        raise PatternError("number fields are written as runs of 9, e.g. AZ-9999-999999")
    if normalize_identifier(_RUNS.sub("", pattern)):
        raise PatternError("only letters, 9s and the separators - / . _ space are allowed")
    return pattern.strip()


def _fit(runs: list[str], template: list[str]) -> str | None:
    if len(runs) != len(template):
        return None
    out: list[str] = []
    for run, field in zip(runs, template, strict=True):
        if field.isdigit():
            if not run.isdigit():
                return None
            digits = run.lstrip("0") or "0"
            if len(digits) > len(field):
                return None
            out.append(digits.zfill(len(field)))
        elif run != field:
            return None
        else:
            out.append(run)
    return "".join(out)


def canonical_key(value: str | None, pattern: str | None = None) -> str | None:
    """The key an Aktenzeichen is unique and looked up by (``None`` for a blank value)."""
    plain = normalize_identifier(value)
    if plain is None or not pattern:
        return plain
    assert value is not None
    fitted = _fit(_RUNS.findall(value.upper()), _RUNS.findall(pattern.upper()))
    return fitted or plain


def tenant_pattern(options: dict | None) -> str | None:
    pattern = (options or {}).get(PATTERN_OPTION)
    return pattern if isinstance(pattern, str) and pattern.strip() else None
