"""Peak memory of processing one document, by page count (flat per page is the goal).

Each input is a PDF whose pages carry a text layer and a large noisy JPEG (about 0.38 MB
a page, so 1,000 pages are a 380 MB file): text extraction, archive assembly and the
linearised write (qpdf) run over every page, as for a big scan, without OCR time.
Each measurement runs in a fresh interpreter:

- ``pdfium`` (the baseline): ``process_file`` as it was before: the archive assembled in
  pdfium, and the source PDF kept open in pdfium for all pages;
- ``in-process``: ``process_file`` in that interpreter; its peak RSS (``VmHWM``, not
  ``ru_maxrss``, which carries the bench's own peak across ``exec``), and the peak of the
  ``qpdf`` command that assembles the archive (a process of its own).
- ``worker``: ``ingest.isolated.process`` (the worker's path: a capped child per
  document); the worker's own peak and RSS before and after, which should not grow.

Run: ``python -m bench.processing_memory [--pages 10,100,1000]`` (3.8, 38 and 380 MB)
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
    """Written object by object straight to disk (reportlab held the whole file in memory
    and took minutes for 1,000 pages). Ten noisy JPEGs are cycled, but each page has its
    own copy in the file, as pages of a scan do."""
    rng = random.Random(pages)
    jpegs = []
    for _ in range(10):
        image = Image.frombytes("L", (1240, 1754), rng.randbytes(1240 * 1754))
        raw = io.BytesIO()
        image.point(lambda v: 180 + v // 4).save(raw, "JPEG", quality=50)
        jpegs.append(raw.getvalue())
    offsets: list[int] = []
    with path.open("wb") as out:

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body)
            if stream is not None:
                out.write(b"\nstream\n" + stream + b"\nendstream")
            out.write(b"\nendobj\n")

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        kids = " ".join(f"{4 + 3 * n} 0 R" for n in range(pages)).encode()
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
        obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for n in range(pages):
            page, content, image = 4 + 3 * n, 5 + 3 * n, 6 + 3 * n
            jpeg = jpegs[n % len(jpegs)]
            text = f"Kontoauszug Blatt {n + 1} mit einer Textebene fuer die Suche".encode()
            draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 12 Tf 72 760 Td (%s) Tj ET" % text
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 3 0 R >> /XObject << /Im0 %d 0 R >> >> >>"
                % (content, image),
            )
            obj(content, b"<< /Length %d >>" % len(draw), draw)
            obj(
                image,
                b"<< /Type /XObject /Subtype /Image /Width 1240 /Height 1754 "
                b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode "
                b"/Length %d >>" % len(jpeg),
                jpeg,
            )
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % at for at in offsets))
        out.write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, xref)
        )


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
