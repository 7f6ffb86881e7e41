"""OCR quality and CPU per kind of the noisy-scan set (``tests.ingest.samples.NOISY_SCANS``):
akte's ``process_file`` against bare ``tesseract FILE - --psm 1 -l LANGS`` on the same
files, alternating per kind, in one run.

    .venv/bin/python -m bench.ocr_kinds [--langs deu] [--rounds 1]

Prints per kind the character error rate (CER) of both and their CPU seconds per page
(akte: this process and its children, one OCR thread; Tesseract: the child), then the
means and the CPU ratio akte ÷ bare Tesseract, and the load average.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import tempfile
from pathlib import Path

from bench.ocr import cpu_seconds
from ingest.limits import Limits
from ingest.processor import process_file
from tests.ingest import samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--langs", default="deu")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--kinds", nargs="*", default=list(samples.NOISY_SCANS))
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    limits = dataclasses.replace(Limits(), languages=args.langs, ocr_workers=1)
    page = samples.render_lines(samples.LETTER)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-kinds-") as tmp:
        for kind in args.kinds:
            truth = samples.noisy_scan_truth(kind)
            source = Path(tmp) / f"{kind.replace(' ', '_')}.img"
            source.write_bytes(samples.NOISY_SCANS[kind](page))
            akte_cpu = bare_cpu = 0.0
            for run in range(args.rounds):
                started = cpu_seconds()
                processed = process_file(source, Path(tmp) / f"work-{run}-{source.stem}", limits)
                akte_cpu += cpu_seconds() - started
                akte_text = processed.pages[0].text
                started = cpu_seconds()
                bare = subprocess.run(
                    ["tesseract", str(source), "-", "--psm", "1", "-l", args.langs],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                bare_cpu += cpu_seconds() - started
            rows.append(
                (
                    kind,
                    samples.cer(truth, akte_text),
                    samples.cer(truth, bare.stdout),
                    akte_cpu / args.rounds,
                    bare_cpu / args.rounds,
                )
            )
            print(
                f"{kind:22} akte CER {rows[-1][1]:6.2%}  tesseract {rows[-1][2]:6.2%}  "
                f"CPU s/page akte {rows[-1][3]:.2f}  tesseract {rows[-1][4]:.2f}",
                flush=True,
            )
    n = len(rows)
    print(
        f"mean                   akte CER {sum(r[1] for r in rows) / n:6.2%}  "
        f"tesseract {sum(r[2] for r in rows) / n:6.2%}  CPU ratio akte/tesseract "
        f"{sum(r[3] for r in rows) / sum(r[4] for r in rows):.2f}"
    )
    print("load average", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
