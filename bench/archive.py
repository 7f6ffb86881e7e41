"""Archive size against the scan: archive bytes ÷ original bytes, per kind of scan.

    .venv/bin/python -m bench.archive [--pages 3]

Each kind is a generated multi-page document of the pages ``bench.ocr`` makes (German
text, dust), stored the way scanners and fax servers store them:

- ``fax G4 TIFF``: bitonal, 200 dpi, CCITT Group 4;
- ``grey JPEG``: one 300-dpi grey page, JPEG quality 85 (single-page file);
- ``colour JPEG``: one 200-dpi colour page (tinted paper, blue stamp), quality 85;
- ``grey scan PDF`` / ``colour scan PDF``: 200-dpi JPEG pages in a PDF, as scanners write;
- ``bitonal scan PDF``: 300-dpi CCITT G4 pages in a PDF;
- ``skewed grey JPEG``: a page scanned 2° askew (straightened, so re-encoded);
- ``text PDF``: a born-digital letter (text pages are copied, not rendered).

Each goes through :func:`ingest.processor.process_file` (the whole pipeline minus database
and blob storage), and the ratio of archive to original is printed. Target: ≤ 1.1 for
scans (issue "archives no larger than the scan").
"""

from __future__ import annotations

import argparse
import io
import tempfile
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bench.ocr import WORDS, make_page
from ingest.limits import Limits
from ingest.processor import process_file


def _scaled(page: Image.Image, dpi: int) -> Image.Image:
    if dpi == 300:
        return page
    return page.resize(
        (page.width * dpi // 300, page.height * dpi // 300), Image.Resampling.LANCZOS
    )


def _colour(page: Image.Image) -> Image.Image:
    tinted = Image.merge("RGB", [page.point(lambda v, k=k: v * k // 255) for k in (250, 246, 232)])
    ImageDraw.Draw(tinted).ellipse((1500, 2800, 2100, 3300), outline=(40, 60, 200), width=14)
    return tinted


def _pdf_of(pages: list[Image.Image], dpi: int, **options: object) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        format="PDF",
        save_all=True,
        append_images=pages[1:],
        resolution=float(dpi),
        **options,
    )
    return buffer.getvalue()


def _text_pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        y = 780
        for line in range(40):
            words = [WORDS[(page * 7 + line * 3 + i) % len(WORDS)] for i in range(9)]
            pdf.drawString(60, y, " ".join(words))
            y -= 18
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def documents(pages: int) -> dict[str, tuple[str, bytes]]:
    """Kind → (file suffix, bytes)."""
    grey = [make_page(seed) for seed in range(pages)]
    out: dict[str, tuple[str, bytes]] = {}

    fax = [_scaled(page, 200).convert("1", dither=Image.Dither.NONE) for page in grey]
    buffer = io.BytesIO()
    fax[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=fax[1:],
        compression="group4",
        dpi=(200, 200),
    )
    out["fax G4 TIFF"] = (".tif", buffer.getvalue())

    buffer = io.BytesIO()
    grey[0].save(buffer, format="JPEG", quality=85, dpi=(300, 300))
    out["grey JPEG"] = (".jpg", buffer.getvalue())

    buffer = io.BytesIO()
    _colour(_scaled(grey[0], 200)).save(buffer, format="JPEG", quality=85, dpi=(200, 200))
    out["colour JPEG"] = (".jpg", buffer.getvalue())

    grey200 = [_scaled(page, 200) for page in grey]
    out["grey scan PDF"] = (".pdf", _pdf_of(grey200, 200, quality=85))
    out["colour scan PDF"] = (".pdf", _pdf_of([_colour(p) for p in grey200], 200, quality=85))
    out["bitonal scan PDF"] = (
        ".pdf",
        _pdf_of([page.convert("1", dither=Image.Dither.NONE) for page in grey], 300),
    )

    buffer = io.BytesIO()
    grey[0].rotate(2, resample=Image.Resampling.BICUBIC, fillcolor=255).save(
        buffer, format="JPEG", quality=85, dpi=(300, 300)
    )
    out["skewed grey JPEG"] = (".jpg", buffer.getvalue())

    out["text PDF"] = (".pdf", _text_pdf(pages))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    limits = replace(Limits(), ocr_workers=2)
    print(f"{'kind':18s} {'pages':>5s} {'original':>10s} {'archive':>10s} {'ratio':>6s}")
    with tempfile.TemporaryDirectory(prefix="akte-bench-archive-") as tmp:
        root = Path(tmp)
        worst = 0.0
        for kind, (suffix, data) in documents(args.pages).items():
            source = root / (kind.replace(" ", "-") + suffix)
            source.write_bytes(data)
            processed = process_file(source, root / f"work-{source.stem}", limits)
            archived = processed.archive_path.stat().st_size
            ratio = archived / len(data)
            if kind != "text PDF":
                worst = max(worst, ratio)
            print(
                f"{kind:18s} {processed.page_count:5d} {len(data):10,d} {archived:10,d} "
                f"{ratio:6.2f}"
            )
        print(f"largest ratio of a scan: {worst:.2f} (target ≤ 1.1)")


if __name__ == "__main__":
    main()
