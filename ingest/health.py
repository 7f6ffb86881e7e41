"""OCR readiness (``/readyz``): degraded when Tesseract or an OCR language is missing.

Scans would then fail processing one by one; the check names what to install instead.
The answer is cached for a minute: a probe runs ``tesseract --list-langs`` at most that
often.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytesseract
from packaging.version import Version

from akte.core.context import AppContext
from ingest.limits import Limits
from ingest.ocr import list_languages

CACHE_SECONDS = 60.0
_cache: tuple[float, str] | None = None


def _probe() -> str:
    if shutil.which("tesseract") is None:
        return "tesseract not installed: scans cannot be recognised"
    try:
        version = pytesseract.get_tesseract_version()
    except OSError as exc:
        return f"tesseract does not answer: {type(exc).__name__}"
    except SystemExit:  # pytesseract's answer to a version it cannot parse or below 3.05
        return "tesseract is too old or unknown: akte reads with the LSTM engine of 4 or newer"
    if version < Version("4"):
        return f"tesseract {version} is too old: akte reads with the LSTM engine of 4 or newer"
    try:
        have = list_languages(timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"tesseract does not answer: {type(exc).__name__}"
    missing = [lang for lang in Limits().languages.split("+") if lang not in have]
    if missing:
        return (
            "OCR languages missing: "
            + ", ".join(missing)
            + " (install tesseract-ocr-"
            + "/".join(missing)
            + ")"
        )
    return "ok"


def checks(ctx: AppContext) -> dict[str, str]:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, _probe())
    return {"ocr": _cache[1]}
