"""One page through Tesseract: deskew, recognise, and turn upright when needed.

A single Tesseract call per page writes the text, the page's invisible text layer as a
one-page PDF (``textonly_pdf``) and word confidences (``txt pdf tsv``), so nothing is
recognised twice; :mod:`ingest.pagepdf` puts the page image under that layer, stored no
larger than the scan (the scan's own JPEG where the page was not changed). Each call is
single-threaded (``OMP_THREAD_LIMIT=1``); parallelism comes from running one call per
core (see :mod:`ingest.processor`), which is how Tesseract scales.

Orientation: running orientation detection (``--psm 0``) on every page would cost about half
as much again as the OCR itself. Upright pages, by far the most common, recognise with high
confidence, so detection runs only when the first pass looks wrong: few words, low mean
confidence (upside-down pages read as garbage), or mostly *tall* word boxes (Tesseract reads
sideways lines as vertical text, with good confidence, but the page image is still sideways).
If detection reports a quarter or half turn, the page is turned and recognised again; the
turned result is kept only if it is better, so a wrong guess never makes things worse.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ingest import pagepdf
from ingest.images import deskew, despeckle, rotate
from ingest.limits import Limits, ProcessingFailed

#: Below this mean word confidence (0–100) or word count, orientation is checked.
LOW_CONFIDENCE = 60.0
FEW_WORDS = 3
#: Orientation detection results below this confidence are ignored.
MIN_OSD_CONFIDENCE = 1.0


@dataclass
class OcrPage:
    page_no: int
    text: str
    confidence: float | None
    pdf_path: Path
    rotated: int  # quarter turns applied (degrees counter-clockwise)
    skew: float


def list_languages(timeout: float = 30) -> frozenset[str]:
    """The languages Tesseract has traineddata for on this machine (``osd`` excluded), as
    ``tesseract --list-langs`` says (older versions print the list to stderr). Raises
    ``OSError`` or ``subprocess.TimeoutExpired`` when Tesseract cannot be run."""
    result = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                            timeout=timeout, check=False, env=_env())
    lines = (result.stdout + result.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:]
                     if re.fullmatch(r"[a-z]{3}(_[a-z]+)?", line.strip()) and line.strip() != "osd")


@functools.cache
def installed_languages() -> frozenset[str]:
    """:func:`list_languages`, once per process; empty if Tesseract cannot be run."""
    try:
        return list_languages()
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()


def choose_languages(wanted: list[str]) -> tuple[str, list[str]]:
    """The ``-l`` argument for the wanted languages that are installed, and the wanted
    ones that are not (the document says so instead of being read silently without them).
    German is the fallback when none of them is installed."""
    have = installed_languages()
    usable = [lang for lang in wanted if lang in have] or ["deu"]
    return "+".join(usable), [lang for lang in wanted if lang not in have]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _save_input(image: Image.Image, base: Path, dpi: int) -> Path:
    """Lossless PNM for bilevel/grey (fast to write; G4/Flate in the PDF), JPEG for colour."""
    if image.mode == "RGB":
        path = base.with_suffix(".jpg")
        image.save(path, quality=90, dpi=(dpi, dpi))
    else:
        path = base.with_suffix(".pbm" if image.mode == "1" else ".pgm")
        image.save(path)
    return path


def _run(args: list[str], page_no: int, limits: Limits) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            ["tesseract", *args],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=limits.page_timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessingFailed(
            f"page {page_no} could not be recognised within {limits.page_timeout_seconds:.0f} s"
        ) from exc
    return result


def _recognise(image: Image.Image, base: Path, dpi: int, page_no: int, limits: Limits):
    source = _save_input(image, base, dpi)
    result = _run(
        [str(source), str(base), "-l", limits.languages, "--dpi", str(dpi), "--psm", "3",
         "-c", "textonly_pdf=1", "txt", "pdf", "tsv"],
        page_no,
        limits,
    )
    pdf_path = base.with_suffix(".pdf")
    if result.returncode != 0 or not pdf_path.exists():
        raise ProcessingFailed(f"page {page_no} could not be recognised (Tesseract failed)")
    text = base.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
    words = _words(base.with_suffix(".tsv"))
    source.unlink(missing_ok=True)
    return text.replace("\f", "").strip(), words, pdf_path


@dataclass
class _Words:
    confidences: list[float]
    tall: int  # words of 3+ characters whose box is higher than wide: sideways text

    @property
    def mean(self) -> float | None:
        return sum(self.confidences) / len(self.confidences) if self.confidences else None

    @property
    def score(self) -> float:
        return (self.mean or 0) * len(self.confidences)

    def looks_wrong(self) -> bool:
        count = len(self.confidences)
        return count < FEW_WORDS or (self.mean or 0) < LOW_CONFIDENCE or self.tall > count / 3


def _words(tsv: Path) -> _Words:
    values: list[float] = []
    tall = 0
    with tsv.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            try:
                conf = float(row.get("conf") or -1)
            except ValueError:
                continue
            word = (row.get("text") or "").strip()
            if row.get("level") == "5" and conf >= 0 and word:
                values.append(conf)
                try:
                    if len(word) >= 3 and int(row["height"]) > int(row["width"]):
                        tall += 1
                except (KeyError, TypeError, ValueError):
                    pass
    return _Words(values, tall)


def detect_rotation(image: Image.Image, base: Path, dpi: int, page_no: int,
                    limits: Limits) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that turn the page upright; 0 if unsure."""
    source = _save_input(image, base.with_name(base.name + "-osd"), dpi)
    try:
        result = _run([str(source), "-", "--psm", "0", "--dpi", str(dpi)], page_no, limits)
    finally:
        source.unlink(missing_ok=True)
    rotate_by = re.search(r"Rotate:\s*(\d+)", result.stdout)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", result.stdout)
    if not rotate_by or not confidence or float(confidence.group(1)) < MIN_OSD_CONFIDENCE:
        return 0
    # Tesseract reports the clockwise turn; Pillow rotates counter-clockwise.
    return (360 - int(rotate_by.group(1))) % 360


def ocr_page(image: Image.Image, *, page_no: int, dpi: int, workdir: Path,
             limits: Limits, jpeg: bytes | None = None) -> OcrPage:
    """Recognise one page image; safe to call from several threads at once.

    ``jpeg`` are the scan's own JPEG bytes of exactly these pixels: the archive page keeps
    them as they are if the page needs no turning, straightening or cleaning."""
    base = workdir / f"page-{page_no:05d}"
    scan = image
    image, skew = deskew(despeckle(image))
    text, words, pdf_path = _recognise(image, base, dpi, page_no, limits)
    rotated = 0
    if words.looks_wrong():
        turn = detect_rotation(image, base, dpi, page_no, limits)
        if turn:
            turned, turned_skew = deskew(rotate(image, turn))
            alt = workdir / f"page-{page_no:05d}-r{turn}"
            alt_text, alt_words, alt_pdf = _recognise(turned, alt, dpi, page_no, limits)
            if alt_words.score > words.score or (words.tall and not alt_words.tall):
                text, words, pdf_path = alt_text, alt_words, alt_pdf
                rotated, skew = turn, skew + turned_skew
                image = turned
    page_pdf = pdf_path.with_name(pdf_path.stem + "-page.pdf")
    pdf_path = pagepdf.image_page(pdf_path, image, page_pdf,
                                  jpeg=jpeg if image is scan else None)
    mean = words.mean
    return OcrPage(page_no, text, round(mean, 1) if mean is not None else None, pdf_path,
                   rotated, skew)
