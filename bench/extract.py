"""Text-layer extraction: akte's pipeline versus bare pypdfium2, with pdfplumber for scale.

    .venv/bin/python -m bench.extract [--pages 1000]

A born-digital PDF (German text with umlauts, ß and §, 40 lines a page) is generated with
reportlab. Measured, best of ``--rounds`` alternating rounds:

* bare pypdfium2: open, ``get_textpage().get_text_range()`` for every page — the baseline;
* akte extraction: :mod:`ingest.pdf` as the processor uses it (text per page plus the
  "is this layer usable" decision);
* akte pipeline: :func:`ingest.processor.process_file`, i.e. extraction plus the archive
  PDF (pages imported from the original) and the thumbnail;
* pdfplumber (the design card's extractor) on the first ``--plumber-pages`` pages, to show
  why akte does not use it.

Rates are pages per CPU second of this process (see :func:`timed`).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ingest import pdf as akte_pdf
from ingest.processor import process_file

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
_WORDS = (
    "Antrag Bescheid Leistungen Jobcenter Bedarfsgemeinschaft Unterkunft Heizung Miete "
    "Einkommen Lohnabrechnung Kontoauszug Mitwirkung gemäß § 60 SGB II Größe Straße "
    "Änderung Überprüfung Rückforderung Widerspruch Frist Müller Schröder Weiß Jäger"
)
WORDS = _WORDS.split()


def make_pdf(pages: int) -> bytes:
    rng = random.Random(1)
    pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for page in range(pages):
        doc.setFont("DejaVuSerif", 10)
        for line in range(40):
            doc.drawString(56, 780 - line * 18, " ".join(rng.choices(WORDS, k=11)))
        doc.drawString(280, 40, f"Seite {page + 1}")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


def bare(path: Path) -> int:
    document = pdfium.PdfDocument(str(path))
    chars = 0
    for page in document:
        chars += len(page.get_textpage().get_text_range())
    document.close()
    return chars


def akte_extraction(path: Path) -> int:
    document = akte_pdf.open_pdf(path)
    chars = 0
    for index in range(len(document)):
        page = document[index]
        text = akte_pdf.page_text(page)
        if akte_pdf.usable_text(text):
            chars += len(text)
        page.close()
    document.close()
    return chars


def plumber(path: Path, pages: int) -> int:
    with pdfplumber.open(path) as document:
        return sum(len(page.extract_text() or "") for page in document.pages[:pages])


def timed(fn, *args) -> tuple[float, int]:
    """CPU seconds of this process: all of this work is single-threaded and in-process, so
    CPU time is what it costs, whatever else the (shared) machine is doing."""
    started = time.process_time()
    result = fn(*args)
    return time.process_time() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plumber-pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="akte-bench-extract-") as tmp:
        root = Path(tmp)
        source = root / "text.pdf"
        source.write_bytes(make_pdf(args.pages))
        times: dict[str, list[float]] = {"bare": [], "extract": [], "pipeline": []}
        for run in range(args.rounds):
            seconds, bare_chars = timed(bare, source)
            times["bare"].append(seconds)
            seconds, akte_chars = timed(akte_extraction, source)
            times["extract"].append(seconds)
            seconds, processed = timed(process_file, source, root / f"work-{run}")
            times["pipeline"].append(seconds)
            assert processed.page_count == args.pages
            assert all(p.method == "text-layer" for p in processed.pages)
            assert akte_chars >= 0.95 * bare_chars  # same text; akte folds CR LF to LF
        plumber_seconds, _ = timed(plumber, source, args.plumber_pages)

        def rate(key: str) -> float:
            return args.pages / min(times[key])

        print(
            f"{args.pages}-page text PDF ({source.stat().st_size / 1e6:.1f} MB), "
            f"best of {args.rounds} rounds, pages per CPU second; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"bare pypdfium2 text extraction:        {rate('bare'):9.0f} pages/s")
        print(f"akte extraction (text + usability):    {rate('extract'):9.0f} pages/s")
        print(f"akte pipeline (+ archive + thumbnail): {rate('pipeline'):9.0f} pages/s")
        plumber_rate = args.plumber_pages / plumber_seconds
        print(
            f"pdfplumber extract_text ({args.plumber_pages} pages):      "
            f"{plumber_rate:9.1f} pages/s"
        )
        print(f"ratio akte extraction / bare pypdfium2: {rate('extract') / rate('bare'):.2f}")
        print(f"ratio akte pipeline / bare pypdfium2:   {rate('pipeline') / rate('bare'):.2f}")
        print(f"ratio pdfplumber / bare pypdfium2:      {plumber_rate / rate('bare'):.3f}")


if __name__ == "__main__":
    main()
