"""Cells for CSV files people open in spreadsheet programs, neutralised against formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for
a formula by Excel, LibreOffice and Google Sheets (CSV injection: ``=HYPERLINK(...)`` in a
file name of a delivery or a title in the audit log would run in the reader's spreadsheet).
Such a cell gets a leading ``'``, which the programs show as text; every other value is
written as it is. Numbers (``int``/``float``) stay numbers, so a negative amount is not
turned into text. Used by every CSV akte writes: the audit export, batch manifests and
delivery reports.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """``value`` as CSV cell text: ``None`` is empty, formula starters are quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
