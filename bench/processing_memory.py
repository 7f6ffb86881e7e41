"""Peak memory of processing one document, by page count (flat per page is the goal).

Each input is a PDF whose pages carry a text layer and a large noisy JPEG (about 0.3 MB
a page, so 200 pages are a 60 MB file): text extraction, archive assembly (pdfium) and the
linearising rewrite (qpdf) run over every page, as for a big scan, without OCR time.
Each measurement runs in a fresh interpreter:

- ``in-process``: ``process_file`` in that interpreter; its peak RSS (``VmHWM``, not
  ``ru_maxrss``, which carries the bench's own peak across ``exec``).
- ``worker``: ``ingest.isolated.process`` (the worker's path: a capped child per
  document); the worker's own peak and RSS before and after, which should not grow.

Run: ``python -m bench.processing_memory [--pages 20,200]``
"""

from __future__ import annotations

import argparse
import io
import json
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
print(json.dumps({'pages': out.page_count, 'seconds': time.perf_counter() - t0,
                  'before': before, 'after': rss(),
                  'peak': status('VmHWM')}))
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
    parser.add_argument("--pages", default="20,200")
    args = parser.parse_args()
    counts = [int(n) for n in args.pages.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        for count in counts:
            source = Path(tmp) / f"{count}.pdf"
            make_pdf(count, source)
            size = source.stat().st_size
            for mode in ("in-process", "worker"):
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
    for count, size, mode, r in rows:
        mb = 1024 * 1024
        print(
            f"{count:>5} pages ({size / mb:6.1f} MB) {mode:>10}: {r['seconds']:6.1f} s, "
            f"peak RSS {r['peak'] / mb:6.0f} MB (x{r['peak'] / base[mode]:.2f} of "
            f"{counts[0]} pages), RSS before {r['before'] / mb:.0f} MB after "
            f"{r['after'] / mb:.0f} MB"
        )


if __name__ == "__main__":
    main()
