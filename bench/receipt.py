"""The citizen's receipt PDF: WeasyPrint (shaped, tagged, in six languages) against a plain
reportlab page with the same lines (no shaping, no tags) as the baseline.

    .venv/bin/python -m bench.receipt [--files 5] [--rounds 10]

Both render the same receipt (``--files`` stored files with Arabic names, one refused) after
one warm-up render each; printed: milliseconds per receipt and the ratio to reportlab.
"""

from __future__ import annotations

import argparse
import io
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from akte.web import receipt_pdf

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _baseline(receipt, case_file, tenant: str) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setFont("DejaVuSans", 10)
    y = 800
    for text in [tenant, case_file.aktenzeichen, str(receipt.id)] + [
        f"{i['filename']} {i['size']} {i['sha256']}" for i in receipt.items
    ]:
        c.drawString(50, y, text)
        y -= 20
    c.showPage()
    c.save()
    return buffer.getvalue()


def _per_call(fn, rounds: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
    items = [
        {
            "document_id": str(uuid.uuid4()),
            "filename": f"عقد الإيجار {n}.pdf",
            "size": 123_456,
            "sha256": "ab" * 32,
            "mime_type": "application/pdf",
        }
        for n in range(args.files)
    ]
    receipt = SimpleNamespace(
        id=uuid.uuid4(),
        created_at=datetime.now(UTC),
        items=items,
        refused=[{"filename": "Antrag.docx", "reason": "bad_type"}],
    )
    case_file = SimpleNamespace(aktenzeichen="AZ-2024-000001")
    base = _per_call(lambda: _baseline(receipt, case_file, "Jobcenter"), args.rounds)
    print(f"reportlab baseline: {base * 1000:.1f} ms per receipt")
    for lang in ("de", "ar", "ti"):
        took = _per_call(
            lambda lang=lang: receipt_pdf.render(receipt, case_file, "Jobcenter", lang),
            args.rounds,
        )
        print(f"weasyprint {lang}: {took * 1000:.1f} ms per receipt, {took / base:.1f}x baseline")


if __name__ == "__main__":
    main()
