"""Peak memory of processing one document, by page count (flat per page is the goal).

Each input is a PDF whose pages carry a text layer and a large noisy JPEG (about 0.45 MB
a page, so 1,000 pages are a 450 MB file): text extraction, archive assembly and the
linearised write (qpdf) run over every page, as for a big scan, without OCR time.
Each measurement runs in a fresh interpreter:

- ``pdfium`` (the baseline): ``process_file`` as it was before: the archive assembled in
  pdfium, and the source PDF kept open in pdfium for all pages;
- ``in-process``: ``process_file`` in that interpreter; its peak RSS (``VmHWM``, not
  ``ru_maxrss``, which carries the bench's own peak across ``exec``), and the peak of the
  ``qpdf`` command that assembles the archive (a process of its own).
- ``worker``: ``ingest.isolated.process`` (the worker's path: a capped child per
  document); the worker's own peak and RSS before and after, which should not grow.

Run: ``python -m bench.processing_memory [--pages 10,100,1000]`` (4.5, 45 and 450 MB)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

CHILD = r"""
import json, sys, time
from pathlib import Path
from ingest.limits import Limits
mode, path, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode == 'pdfium':  # the baseline, as before: assembled in pdfium, one pdfium source
    from ingest import archive, processor
    archive.QPDF = False
    processor.RECYCLE_PAGES = 10**9
    mode = 'in-process'

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1]) * 1024
def rss():
    return status('VmRSS')
before = rss()
t0 = time.perf_counter()
if mode == 'in-process':
    from ingest.processor import process_file
    out = process_file(path, work, Limits())
else:
    from ingest import isolated
    import ingest.processor  # imported by the worker anyway
    before = rss()
    out = isolated.process(path, work, Limits(), 4096)
import resource
print(json.dumps({'pages': out.page_count, 'seconds': time.perf_counter() - t0,
                  'before': before, 'after': rss(), 'peak': status('VmHWM'),
                  'children': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def make_pdf(pages: int, path: Path) -> None:
    rng = random.Random(pages)
    buffer = canvas.Canvas(str(path))
    for n in range(1, pages + 1):
        image = Image.frombytes("L", (1240, 1754), rng.randbytes(1240 * 1754))
        raw = io.BytesIO()
        image.point(lambda v: 180 + v // 4).save(raw, "JPEG", quality=50)
        raw.seek(0)
        buffer.drawImage(ImageReader(raw), 0, 0, 595, 842)
        buffer.drawString(72, 760, f"Kontoauszug Blatt {n} mit einer Textebene fuer die Suche")
        buffer.showPage()
    buffer.save()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="10,100,1000")
    args = parser.parse_args()
    counts = [int(n) for n in args.pages.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        for count in counts:
            source = Path(tmp) / f"{count}.pdf"
            make_pdf(count, source)
            size = source.stat().st_size
            for mode in ("pdfium", "in-process", "worker"):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        CHILD,
                        mode,
                        str(source),
                        str(Path(tmp) / f"w{count}{mode}"),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append((count, size, mode, result))
    base = {mode: r["peak"] for c, _, mode, r in rows if c == counts[0]}
    pdfium = {c: r["peak"] for c, _, mode, r in rows if mode == "pdfium"}
    mb = 1024 * 1024
    print(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} (shared machine)")
    for count, size, mode, r in rows:
        print(
            f"{count:>5} pages ({size / mb:6.1f} MB) {mode:>10}: {r['seconds']:6.1f} s, "
            f"peak RSS {r['peak'] / mb:6.0f} MB (x{r['peak'] / base[mode]:.2f} of "
            f"{counts[0]} pages, x{r['peak'] / pdfium[count]:.2f} of pdfium), "
            f"RSS before {r['before'] / mb:.0f} MB after {r['after'] / mb:.0f} MB"
            + (f"; qpdf command {r['children'] / mb:.0f} MB" if mode == "in-process" else "")
        )


if __name__ == "__main__":
    main()
