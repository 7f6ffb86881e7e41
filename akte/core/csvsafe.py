"""Cells for CSV files people open in spreadsheet programs, neutralised against formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for
a formula by Excel and LibreOffice (CSV injection: ``=HYPERLINK(...)`` in a file name of a
delivery would run in the operator's spreadsheet). Such a cell gets a leading ``'``, which
the programs show as text; every other value is written as it is.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """``value`` as CSV cell text: ``None`` is empty, formula starters are quoted with ``'``."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
