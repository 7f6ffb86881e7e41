"""Bounds that keep one bad file from stalling or exhausting a worker.

Every file akte processes comes from outside (scanning contractors, citizens), so size
claims are checked *before* pixels are decoded, rendering resolution is lowered (never
below :attr:`Limits.min_dpi`) rather than allocating gigabytes, and every Tesseract call has
a timeout. A file outside these bounds ends as ``failed`` with a reason naming the bound.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


class ProcessingFailed(Exception):
    """Deterministic bad input: retrying cannot help, the reason is shown to people.

    The message is the document's ``status_reason`` ("PDF is password-protected",
    "page 3 could not be rendered"), so it is written for a caseworker, not a developer.
    """


@dataclass(frozen=True)
class Limits:
    #: Documents with more pages fail; 2,000-page text PDFs take a few seconds.
    max_pages: int = 5_000
    #: Largest bitmap decoded or rendered for one page (A3 at 300 dpi is 17.4 Mpx).
    max_pixels: int = 60_000_000
    #: Pages are rendered for OCR at this resolution …
    dpi: int = 300
    #: … lowered for oversized pages, but never below this (text becomes unreadable).
    min_dpi: int = 100
    #: One Tesseract call (OCR or orientation detection) on one page.
    page_timeout_seconds: float = 180.0
    #: Parallel Tesseract processes per document (each single-threaded).
    ocr_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: Tesseract's ``-l``; a tenant may choose others (tenant option ``ocr_languages``).
    #: ``deu`` alone is faster, but on a G4 fax page it read "§ 60 SGB I" as "$ 60 SGB",
    #: and paragraph citations are what caseworkers search for; ``deu+eng`` read it right.
    languages: str = "deu+eng"
    thumbnail_width: int = 300
    #: Strongly coloured ink (stamps, ballpoint notes) is left out of what OCR reads
    #: (:func:`ingest.images.for_reading`); the archive keeps it.
    colour_dropout: bool = True
