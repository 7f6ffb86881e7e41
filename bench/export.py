"""Export PDF assembly (cover, contents, Blatt stamp on every page) against plain
concatenation of the same archive PDFs, for 200 and 2,000 pages, in one run.

Sources: documents of 50 pages, alternately born-digital text pages and scan-like image
pages (a 150 dpi greyscale raster with text). Each case runs in a fresh subprocess so its
peak RSS (``ru_maxrss``) is its own. Baseline: ``qpdf --empty --pages … -- out.pdf`` on the
same files (Debian ``qpdf``, installed by scripts/install-system-deps.sh), timed with its
children's RSS; pdfium importing the same files is printed beside it. The machine is
shared: compare ratios, not seconds.

Run: ``python -m bench.export [--pages 200 2000]``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PAGES_PER_DOC = 50


def _make_sources(folder: Path, pages: int) -> list[Path]:
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    scan = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(scan)
    for line in range(60):
        draw.text((100, 100 + line * 25), f"Zeile {line} eines gescannten Bescheids", fill=0)
    buffer = io.BytesIO()
    scan.save(buffer, format="JPEG", quality=70)
    jpeg = buffer.getvalue()
    paths = []
    for number in range(pages // PAGES_PER_DOC):
        path = folder / f"doc-{number}.pdf"
        pdf = canvas.Canvas(str(path), pagesize=A4)
        for page in range(PAGES_PER_DOC):
            if number % 2:
                pdf.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, *A4)
            else:
                for line in range(40):
                    pdf.drawString(
                        72, 780 - line * 18, f"Dokument {number} Seite {page} Zeile {line}"
                    )
            pdf.showPage()
        pdf.save()
        paths.append(path)
    return paths


def _child(mode: str, folder: Path) -> None:
    import pypdfium2 as pdfium

    from records import bundle

    sources = sorted(folder.glob("doc-*.pdf"), key=lambda p: int(p.stem.split("-")[1]))
    out = folder / f"out-{mode}.pdf"
    start = time.perf_counter()
    if mode == "qpdf":
        subprocess.run(
            ["qpdf", "--empty", "--pages", *map(str, sources), "--", str(out)], check=True
        )
        seconds = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        pages = int(
            subprocess.run(
                ["qpdf", "--show-npages", str(out)], capture_output=True, text=True, check=True
            ).stdout
        )
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "rss_mb": rss_mb,
                    "pages": pages,
                    "mb": out.stat().st_size / 1e6,
                }
            )
        )
        return
    if mode == "concat":
        dst = pdfium.PdfDocument.new()
        for path in sources:
            src = pdfium.PdfDocument(str(path))
            dst.import_pages(src)
            src.close()
        dst.save(str(out))
        pages = len(dst)
        dst.close()
    else:
        parts = [
            bundle.Part(p.stem, None, None, datetime.now(UTC), PAGES_PER_DOC, False)
            for p in sources
        ]
        cover = bundle.Cover(
            "Aktenübersendung", "AZ-1", None, "SG", None, "Bench", datetime.now(UTC), "Jobcenter"
        )
        front = folder / "front.pdf"
        front.write_bytes(bundle.front_matter(cover, parts))

        def fetch(path: Path):  # type: ignore[no-untyped-def]
            def copy() -> Path:  # as the job does: a temporary copy per document
                target = folder / f"tmp-{path.name}"
                shutil.copyfile(path, target)
                return target

            return copy

        pages = bundle.assemble(front, [fetch(p) for p in sources], out)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"seconds": seconds, "rss_mb": rss_mb, "pages": pages, "mb": out.stat().st_size / 1e6}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    print("shared machine: compare the ratios, not the seconds")
    for pages in args.pages:
        with tempfile.TemporaryDirectory(prefix="akte-bench-export-") as tmp:
            folder = Path(tmp)
            _make_sources(folder, pages)
            results = {}
            modes = ("qpdf", "concat", "export") if shutil.which("qpdf") else ("concat", "export")
            for mode in modes:
                run = subprocess.run(
                    [sys.executable, "-m", "bench.export", "--child", mode, str(folder)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[mode] = json.loads(run.stdout.strip().splitlines()[-1])
            base, ours = results.get("qpdf", results["concat"]), results["export"]
            pdfium = results["concat"]
            print(
                f"{pages:5d} pages: {'qpdf' if 'qpdf' in results else 'pdfium'} join "
                f"{base['seconds']:.2f} s {base['rss_mb']:.0f} MB | pdfium join "
                f"{pdfium['seconds']:.2f} s | export {ours['seconds']:.2f} s "
                f"{ours['rss_mb']:.0f} MB ({ours['pages']} pages, {ours['mb']:.1f} MB) | "
                f"time ×{ours['seconds'] / base['seconds']:.2f}"
            )


if __name__ == "__main__":
    main()
