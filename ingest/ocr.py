"""One page through Tesseract: how it lies, then straighten, then recognise.

Per page, in this order:

1. **Despeckle** speckled grey and colour pages (:func:`ingest.images.despeckle`).
2. **How the page lies** (:func:`ingest.images.layout`, numpy on a ~600 px ink copy,
   20–40 ms): the tilt (±15°) and whether the lines lie across or may run up and down.
3. **Orientation** only where it is in question: a page that may lie sideways goes to
   Tesseract OSD (``--psm 0``, on a half-resolution copy of pages of 250 dpi and more)
   first and is turned by the quarter turn it reports (or not, if OSD is unsure); then
   the tilt is measured on the *upright* page. A page whose lines lie across is read as
   it lies: OSD cost about 0.8 CPU s per A4 page, a quarter of the recognition, and
   told only 0° from 180° there. Upside down shows in the reading itself (mean word
   confidence 18–21 against 93–95 upright): a reading below
   :data:`DOUBTFUL_CONFIDENCE` asks OSD after all, and a page it turns is read again.
4. **Recognise**: a single Tesseract call writes the text, the page's invisible text
   layer as a one-page PDF (``textonly_pdf``) and word confidences (``txt pdf tsv``).
   Upright and sideways pages are recognised once; only an upside-down page twice.

:mod:`ingest.pagepdf` then puts the page image under that layer. A page whose only
correction is a quarter turn keeps its scan's image as it is (the JPEG bytes, or the
bitonal pixels as G4) and is turned by the drawing matrix, never re-encoded.

Each call is single-threaded (``OMP_THREAD_LIMIT=1``); parallelism comes from running one
call per core (see :mod:`ingest.processor`), which is how Tesseract scales. Each call
starts a process and loads the model afresh; ``bench/ocr.py --startup`` measures what
that costs per page.
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

from ingest import engine, pagepdf
from ingest.images import Layout, deskew, despeckle, for_reading, layout, rotate
from ingest.limits import Limits, ProcessingFailed

#: OSD results below this confidence are ignored (the page is read as it is). Full pages
#: give 20–30, a four-line strip 10–13, two lines at 150 dpi about 5.
MIN_OSD_CONFIDENCE = 2.0


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
    result = subprocess.run(
        ["tesseract", "--list-langs"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=_env(),
    )
    lines = (result.stdout + result.stderr).splitlines()
    return frozenset(
        line.strip()
        for line in lines[1:]
        if re.fullmatch(r"[a-z]{3}(_[a-z]+)?", line.strip()) and line.strip() != "osd"
    )


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
        with engine.slot():
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
    """One recognition: text, the text-only page PDF and the word confidences, through
    the long-lived engine (:mod:`ingest.engine`) when installed, else the program."""
    source = _save_input(image, base, dpi)
    if engine.available():
        confidences = engine.recognise(
            source, base, dpi, limits.languages, limits.page_timeout_seconds
        )
        source.unlink(missing_ok=True)
        pdf_path = base.with_suffix(".pdf")
        if confidences is None or not pdf_path.exists():
            raise ProcessingFailed(
                f"page {page_no} could not be recognised within "
                f"{limits.page_timeout_seconds:.0f} s (or Tesseract failed)"
            )
        text = base.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
        return text.replace("\f", "").strip(), _Words(confidences), pdf_path
    result = _run(
        [
            str(source),
            str(base),
            "-l",
            limits.languages,
            "--dpi",
            str(dpi),
            "--psm",
            "3",
            "-c",
            "textonly_pdf=1",
            "txt",
            "pdf",
            "tsv",
        ],
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

    @property
    def mean(self) -> float | None:
        return sum(self.confidences) / len(self.confidences) if self.confidences else None


def _words(tsv: Path) -> _Words:
    values: list[float] = []
    with tsv.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            try:
                conf = float(row.get("conf") or -1)
            except ValueError:
                continue
            if row.get("level") == "5" and conf >= 0 and (row.get("text") or "").strip():
                values.append(conf)
    return _Words(values)


def _osd_copy(image: Image.Image, dpi: int) -> tuple[Image.Image, int]:
    """The image OSD looks at: grey, halved when the page has 250 dpi or more."""
    grey = image if image.mode == "L" else image.convert("L")
    if dpi >= 250:
        return grey.reduce(2), dpi // 2
    return grey, dpi


def detect_rotation(image: Image.Image, base: Path, dpi: int, page_no: int, limits: Limits) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that turn the page upright; 0 if OSD is
    unsure (confidence below :data:`MIN_OSD_CONFIDENCE`) or finds too few characters."""
    small, small_dpi = _osd_copy(image, dpi)
    if engine.available():
        found = engine.orientation(small, small_dpi)
        if found is None or found[1] < MIN_OSD_CONFIDENCE:
            return 0
        return found[0]
    source = _save_input(small, base.with_name(base.name + "-osd"), small_dpi)
    try:
        result = _run([str(source), "-", "--psm", "0", "--dpi", str(small_dpi)], page_no, limits)
    finally:
        source.unlink(missing_ok=True)
    rotate_by = re.search(r"Rotate:\s*(\d+)", result.stdout)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", result.stdout)
    if not rotate_by or not confidence or float(confidence.group(1)) < MIN_OSD_CONFIDENCE:
        return 0
    # Tesseract reports the clockwise turn; Pillow rotates counter-clockwise.
    return (360 - int(rotate_by.group(1))) % 360


#: Mean word confidence below which a page read as it lay is shown to OSD after all: an
#: upside-down page reads as 18–21, upright pages (clean, speckled, fax, stamped) 93–95.
DOUBTFUL_CONFIDENCE = 50.0


def ocr_page(
    image: Image.Image,
    *,
    page_no: int,
    dpi: int,
    workdir: Path,
    limits: Limits,
    jpeg: bytes | None = None,
    lossless: bool = False,
) -> OcrPage:
    """Recognise one page image; safe to call from several threads at once.

    ``jpeg`` are the scan's own JPEG bytes of exactly these pixels: the archive page keeps
    them as they are if the page needs at most a quarter turn (no straightening or
    cleaning); ``lossless``: the scan stored these pixels without loss (PNG, TIFF), and
    an archive page that shows them unchanged keeps them lossless.

    Orientation: the projection profile (:func:`ingest.images.layout`) tells lines lying
    across from lines running up and down. A page whose lines lie across is read as it
    lies, without OSD (which costs about a quarter of a recognition); only if that
    reading is doubtful (:data:`DOUBTFUL_CONFIDENCE`: an upside-down page) does OSD look,
    and a page it turns is read again. A page that may lie sideways goes to OSD first
    and is read once, upright."""
    base = workdir / f"page-{page_no:05d}"
    cleaned = despeckle(image)
    shape = layout(cleaned)
    turn = detect_rotation(image, base, dpi, page_no, limits) if shape.sideways else 0
    straight, skew, text, words, pdf_path = _read(cleaned, shape, turn, base, dpi, page_no, limits)
    mean = words.mean
    if not shape.sideways and mean is not None and mean < DOUBTFUL_CONFIDENCE:
        turned = detect_rotation(image, base, dpi, page_no, limits)
        if turned:
            # OSD can be wrong on a poor page: the turned reading is kept only if it is
            # the more confident one (an upside-down page turned reads 93–95).
            first = (straight, skew, text, words, pdf_path)
            second = _read(
                cleaned, shape, turned, base.with_name(base.name + "-turned"), dpi, page_no, limits
            )
            if (second[3].mean or 0.0) > mean:
                straight, skew, text, words, pdf_path = second
                turn, mean = turned, second[3].mean
            else:
                straight, skew, text, words, pdf_path = first
    page_pdf = pdf_path.with_name(pdf_path.stem + "-page.pdf")
    if skew == 0.0 and cleaned is image:
        # Only a quarter turn (or nothing): the scan's image as it was, turned on the page.
        pdf_path = pagepdf.image_page(
            pdf_path, image, page_pdf, jpeg=jpeg, turn=turn, lossless=lossless
        )
    else:
        pdf_path = pagepdf.image_page(pdf_path, straight, page_pdf)
    return OcrPage(
        page_no, text, round(mean, 1) if mean is not None else None, pdf_path, turn, skew
    )


def _read(
    cleaned: Image.Image,
    shape: Layout,
    turn: int,
    base: Path,
    dpi: int,
    page_no: int,
    limits: Limits,
) -> tuple[Image.Image, float, str, _Words, Path]:
    """Turn, level and recognise the page: the levelled page, its tilt and the reading."""
    straight, skew = deskew(rotate(cleaned, turn), shape.skew_after(turn))
    reading = for_reading(straight, drop_colour=limits.colour_dropout, dpi=dpi)
    text, words, pdf_path = _recognise(reading, base, dpi, page_no, limits)
    return straight, skew, text, words, pdf_path
