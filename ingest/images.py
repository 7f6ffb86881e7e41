"""Raster pages: opening TIFF/JPEG/PNG safely, normalising them, and deskewing.

Pillow decodes lazily: :func:`iter_pages` reads each frame's header, checks its pixel count
against the limit and only then decodes it, so a 20-byte PNG claiming 100,000 × 100,000
pixels (a decompression bomb) fails in microseconds instead of allocating 10 GB. Pillow's own
``MAX_IMAGE_PIXELS`` guard is set to the same bound as a second line of defence.

Multi-page TIFFs (fax archives use CCITT Group 4) are read frame by frame, so only one
page's pixels are in memory at a time. JPEGs from phones are turned by their EXIF
orientation first.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageFilter, ImageOps

from ingest.limits import Limits, ProcessingFailed

#: When a file does not say its resolution (or claims nonsense), assume a 300 dpi scan.
DEFAULT_DPI = 300
_PLAUSIBLE_DPI = range(70, 1201)

_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def _dpi_of(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if value in _PLAUSIBLE_DPI else DEFAULT_DPI


def normalise(image: Image.Image) -> Image.Image:
    """Bilevel stays bilevel (G4 in the archive), grey stays grey, everything else RGB/L."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return image.point(lambda v: v / 256).convert("L")
    if image.mode in ("LA", "La"):
        return image.convert("L")
    if image.mode in ("RGBA", "RGBa", "P", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


@dataclass
class RasterPage:
    """One frame: decoded (``image``) or, if only this frame is broken or too large, the
    reason (``problem``); the file's other frames are still read."""

    page_no: int
    image: Image.Image | None
    dpi: int
    problem: str | None = None
    #: The file's bytes when it is a JPEG of exactly these pixels (kept in the archive).
    jpeg: bytes | None = None
    #: The file stores these pixels without loss (PNG, an uncompressed/LZW/Deflate TIFF
    #: frame): the archive keeps them lossless too, not as a JPEG of them.
    lossless: bool = False


def iter_pages(path: Path, limits: Limits) -> Iterator[RasterPage]:
    """Yield each page (frame) decoded, normalised and upright, with its resolution.

    A file that cannot be opened at all raises :class:`ProcessingFailed`; a single frame
    that cannot be decoded, or exceeds the pixel limit, is yielded with its ``problem``."""
    with _pixel_guard(limits.max_pixels), warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except _DECODE_ERRORS as exc:
            raise ProcessingFailed(_describe(exc, "the image file is damaged")) from exc
        with image:
            frames = getattr(image, "n_frames", 1)
            if frames > limits.max_pages:
                raise ProcessingFailed(
                    f"the image has {frames:,} pages, more than the limit of {limits.max_pages:,}"
                )
            for index in range(frames):
                page_no = index + 1
                try:
                    image.seek(index)
                    width, height = image.size
                    if width * height > limits.max_pixels:
                        raise ProcessingFailed(
                            f"page {page_no} is {width:,} × {height:,} pixels, more than the "
                            f"limit of {limits.max_pixels / 1e6:,.0f} megapixels"
                        )
                    image.load()
                    dpi = _dpi_of(image)
                    page = ImageOps.exif_transpose(image) if index == 0 else image.copy()
                    page = normalise(page)
                    jpeg = _own_jpeg(path, image, page, frames)
                    lossless = image.format == "PNG" or (
                        image.format == "TIFF"
                        and image.info.get("compression") not in ("jpeg", "tiff_jpeg")
                    )
                except ProcessingFailed as exc:
                    yield RasterPage(page_no, None, DEFAULT_DPI, str(exc))
                    continue
                except _DECODE_ERRORS as exc:
                    if frames == 1:  # the whole file: say so as for an unopenable one
                        raise ProcessingFailed(_describe(exc, "the image file is damaged")) from exc
                    yield RasterPage(
                        page_no,
                        None,
                        DEFAULT_DPI,
                        _describe(exc, f"page {page_no} of the image could not be read"),
                    )
                    continue
                yield RasterPage(page_no, page, dpi, jpeg=jpeg, lossless=lossless)


@contextlib.contextmanager
def _pixel_guard(max_pixels: int) -> Iterator[None]:
    """Pillow's process-wide ``MAX_IMAGE_PIXELS`` at ``max_pixels`` for one file's pages,
    then as it was: the process's other images (a redaction's render, a portal photo)
    keep their own bound."""
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, max_pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _own_jpeg(path: Path, image: Image.Image, page: Image.Image, frames: int) -> bytes | None:
    """The file's bytes if it is one JPEG whose pixels are ``page`` as they are: not turned
    by its EXIF orientation, grey or RGB (not converted)."""
    if (
        image.format != "JPEG"
        or frames != 1
        or page.mode != image.mode
        or image.getexif().get(0x0112, 1) != 1
    ):
        return None
    return path.read_bytes()


def _describe(exc: BaseException, fallback: str) -> str:
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return "the image is larger than the pixel limit (possible decompression bomb)"
    return fallback


#: The largest tilt :func:`deskew` looks for, either way (degrees).
MAX_SKEW = 15.0


def _ink(image: Image.Image) -> np.ndarray:
    """The page's ink on a ~600 px wide copy (box-reduced, never converted at full size)."""
    factor = max(1, image.width // 600)
    if image.mode == "1":
        image = image.convert("L")
    small = image.reduce(factor) if factor > 1 else image
    return np.asarray(small.convert("L")) < 160


def _profile_score(u: np.ndarray, v: np.ndarray, angle: float) -> float:
    """Sum of squared differences of adjacent row sums of the ink points (``u`` across,
    ``v`` down, from an integer centre) turned ``angle`` degrees counter-clockwise: when
    the lines are level, rows alternate sharply between ink and paper, and it peaks."""
    theta = math.radians(angle)
    rows = np.rint(v * math.cos(theta) - u * math.sin(theta)).astype(np.int64)
    steps = np.diff(np.bincount(rows - rows.min()))
    return float(np.dot(steps, steps))


def _points(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Integer centre: with a half-pixel one, rint's round-half-to-even would merge every
    # other row at exactly 0° and make that angle win.
    ys, xs = np.nonzero(ink)
    height, width = ink.shape
    return (xs - width // 2).astype(np.float64), (ys - height // 2).astype(np.float64)


def _best_angle(
    u: np.ndarray, v: np.ndarray, max_angle: float, *, refine: bool = True
) -> tuple[float, float]:
    def best(candidates: list[float]) -> float:
        return max(candidates, key=lambda a: _profile_score(u, v, a))

    angle = best([float(i) for i in range(-int(max_angle), int(max_angle) + 1)])
    if refine:
        angle = best([angle + i * 0.25 for i in range(-3, 4)])
        angle = round(best([angle + i * 0.1 for i in range(-2, 3)]), 1)
        if abs(angle) <= _resolution(u):
            angle = 0.0
    return angle, _profile_score(u, v, angle)


#: Rows of the small copy (:func:`_ink`) a tilt must lift the ink's far end by before the
#: profile can tell it from level.
RESOLUTION_ROWS = 1.5


def _resolution(u: np.ndarray) -> float:
    """The smallest tilt (degrees) the profile can tell from level for ink this wide.

    A tilt lifts one end of the ink ``width × tan(angle)`` rows above the other. Across a
    page of text (450 px in the small copy) 1.5 rows are 0.2°, below what is worth
    levelling anyway; a single short line ("Kontoauszug Blatt 1", 100 px) cannot tell
    0.8° from level, and its best angle in that range is noise: a straight born-digital
    page came out tilted by 0.3-0.7° (and paid a rotation for it)."""
    span = float(u.max() - u.min()) if u.size else 0.0
    return math.degrees(math.atan(RESOLUTION_ROWS / span)) if span > 0 else 90.0


@dataclass
class Layout:
    """What the projection profile says about a page before Tesseract sees it."""

    ink: np.ndarray
    #: The tilt of the page as it lies (degrees counter-clockwise that level its lines).
    skew: float
    #: Level lines' profile strength across ÷ along (at their best angles): text lying
    #: as read gives 7–9, a page turned a quarter 0.07–0.13 (generated A4 pages and
    #: four-line strips, clean, speckled, tilted up to 14°, fax, stamps).
    lines_across: float

    @property
    def sideways(self) -> bool:
        """Whether the lines may run up and down (then OSD decides the quarter turn)."""
        return self.lines_across < SIDEWAYS_RATIO

    def skew_after(self, turn: int) -> float:
        """The tilt of the page once turned ``turn`` degrees counter-clockwise."""
        if turn % 360 == 0:
            return self.skew
        u, v = _points(np.rot90(self.ink, (turn % 360) // 90))
        return _best_angle(u, v, MAX_SKEW)[0] if u.size else 0.0


#: :attr:`Layout.lines_across` below which a page may lie sideways.
SIDEWAYS_RATIO = 2.0


def layout(image: Image.Image, *, max_angle: float = MAX_SKEW) -> Layout:
    """Tilt and lying direction of the page from one ~600 px ink copy (numpy, 20–40 ms
    for an A4 page): the projection profile over ±15° in 1° steps refined to 0.25° and
    0.1° across the page (a sheet laid crooked on the glass or pulled askew by a feeder;
    :data:`MAX_SKEW`), and the same at whole degrees along it. Replaces Pillow rotations
    of the small copy per angle (60–95 ms) and, for most pages, an OSD pass."""
    ink = _ink(image)
    u, v = _points(ink)
    if u.size < 20:  # a blank page: nothing to level or turn
        return Layout(ink, 0.0, float("inf"))
    skew, across = _best_angle(u, v, max_angle)
    _, along = _best_angle(-v, u, max_angle, refine=False)
    return Layout(ink, skew, across / max(along, 1.0))


def estimate_skew(image: Image.Image, *, max_angle: float = MAX_SKEW) -> float:
    """The small rotation (degrees, counter-clockwise) that makes text lines horizontal."""
    return layout(image, max_angle=max_angle).skew


def rotate(image: Image.Image, angle: float) -> Image.Image:
    """Rotate counter-clockwise; quarter turns are lossless, small angles fill with white.

    Small angles are resampled bilinearly: on a 300-dpi page that is 3.4× faster than
    bicubic (0.11 against 0.37 s for an A4 grey page, 0.25 against 0.64 s in colour),
    and the difference, a slightly softer edge on a stroke a few pixels wide, changes
    neither Tesseract's reading nor what a reader sees in the archive copy."""
    if angle % 90 == 0:
        turns = {
            90: Image.Transpose.ROTATE_90,
            180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_270,
        }
        key = int(angle) % 360
        return image if key == 0 else image.transpose(turns[key])
    bilevel = image.mode == "1"
    work = image.convert("L") if bilevel else image
    white = 255 if work.mode == "L" else (255, 255, 255)
    out = work.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=white)
    return out.convert("1", dither=Image.Dither.NONE) if bilevel else out


#: Share of pixels a 3×3 median would change from ink to paper or back (of a band of
#: the page): above it, the page is speckled. Clean renders and scans, JPEG artefacts
#: included, stay below 0.03 %; 0.3 % salt-and-pepper noise already gives 0.17 %.
SPECKLE_SHARE = 0.001


def speckle(image: Image.Image) -> float:
    """How speckled a grey or colour page is: the share of pixels (in a band across the
    middle eighth of the page, enough to judge and cheap) that a 3×3 median filter turns
    from black to white or back. Anti-aliased letter edges change by less than that."""
    grey = image if image.mode == "L" else image.convert("L")
    top = grey.height * 7 // 16
    band = grey.crop((0, top, grey.width, top + max(1, grey.height // 8)))
    changed = ImageChops.difference(band, band.filter(ImageFilter.MedianFilter(3)))
    return sum(changed.histogram()[240:]) / max(1, band.width * band.height)


def despeckle(image: Image.Image) -> Image.Image:
    """A 3×3 median on speckled grey and colour pages, *before* they are straightened:
    rotating with interpolation turns single-pixel specks into blobs that touch the
    letters, and Tesseract then misreads whole words (on pages with 3 % salt-and-pepper
    noise the error rate fell from 10 % to 0.7 %). Clean pages are left as they are, and
    bilevel pages (fax) too, where a median would eat thin strokes."""
    if image.mode not in ("L", "RGB") or speckle(image) <= SPECKLE_SHARE:
        return image
    cleaned = image.filter(ImageFilter.MedianFilter(3))
    cleaned.info = dict(image.info)
    return cleaned


def deskew(image: Image.Image, angle: float | None = None) -> tuple[Image.Image, float]:
    """The page levelled (``angle``: its tilt, if :func:`layout` measured it already)."""
    angle = estimate_skew(image) if angle is None else angle
    if abs(angle) < 0.3:
        return image, 0.0
    return rotate(image, angle), angle


#: Saturation (0–255, HSV) above which a pixel is coloured ink: a stamp, a ballpoint note,
#: a highlighter (red stamp ink about 215, blue ballpoint about 200). Grey print, tinted
#: paper (a yellowish page about 55) and scanner colour noise stay below it.
INK_SATURATION = 100
#: … and brightness (HSV value) above which it is dropped: the dark pixels of black print,
#: even with the colour fringes of a JPEG's subsampled chroma, are always kept.
INK_VALUE = 100


def _otsu(histogram: list[int]) -> int:
    """The grey level that best splits the histogram into ink and paper (Otsu)."""
    total = sum(histogram)
    weighted = sum(i * n for i, n in enumerate(histogram))
    below = below_weighted = 0.0
    best, best_level = -1.0, 128
    for level, count in enumerate(histogram):
        below += count
        below_weighted += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_below = below_weighted / below
        mean_above = (weighted - below_weighted) / above
        between = below * above * (mean_below - mean_above) ** 2
        if between > best:
            best, best_level = between, level
    return best_level


#: A page's mid-grey ink is a stamp when, of the 16-level windows of grey levels below
#: the ink/paper split, one lighter than the print's own (the fullest window, at least
#: two windows away) holds this many times the median window above the print, with a
#: valley between: a flat grey stamp ink piles up at one level (15× on the generated grey
#: stamp), while the anti-aliased edges of print, JPEG ringing and bleed-through spread
#: evenly (≤ 2.5×), and print that is itself grey (light toner at 40–110) is the fullest
#: window, not a second peak.
GREY_INK_PEAK = 4.0


def _grey_ink(histogram: list[int], split: int) -> int | None:
    """The level above which dark pixels may be a grey stamp's ink rather than print:
    Otsu's split of the dark part of the page (print ÷ stamp grey), but only if that
    part has a distinct grey peak lighter than the print; ``None`` when it has none."""
    windows = [sum(histogram[i : i + 16]) for i in range(0, split - 15, 16)]
    print_at = windows.index(max(windows)) if windows else 0
    above = windows[print_at + 1 :]
    if len(above) < 3:
        return None
    median = max(sorted(above)[len(above) // 2], 1)
    peak_at = max(range(print_at + 2, len(windows)), key=windows.__getitem__)
    peak = windows[peak_at]
    if (
        peak < GREY_INK_PEAK * median
        or peak < sum(histogram) // 1000
        or min(windows[print_at + 1 : peak_at]) > peak // 2
    ):
        return None
    return _otsu(histogram[:split] + [0] * (256 - split))


def _cells(mask: Image.Image, factor: int) -> np.ndarray:
    """Whether any pixel of each ``factor`` × ``factor`` cell of the 0/255 ``mask`` is set
    (Pillow's box reduction: numpy's reductions over a full page cost ten times more)."""
    return np.asarray(mask.reduce(factor) if factor > 1 else mask) > 0


def _components(cells: np.ndarray) -> list[list[tuple[int, int]]]:
    """8-connected groups of set cells (a plain flood fill: the grid is small)."""
    todo = set(zip(*(axis.tolist() for axis in np.nonzero(cells)), strict=True))
    groups = []
    while todo:
        stack = [todo.pop()]
        group = []
        while stack:
            y, x = stack.pop()
            group.append((y, x))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    neighbour = (y + dy, x + dx)
                    if neighbour in todo:
                        todo.remove(neighbour)
                        stack.append(neighbour)
        groups.append(group)
    return groups


#: A group of marks is a line of text when it is at least this many times as wide as high
#: ("Jobcenter" alone in 64 px letters: 5; a ballpoint loop or note in the margin: 2).
LINE_SHAPE = 4


def standalone_lines(marks: Image.Image, ink: Image.Image, dpi: int) -> Image.Image:
    """The part of ``marks`` (stamp or coloured pixels) that forms lines of text of their
    own: groups (on a grid of ~1/37 in cells, letters of a line joined across their
    gaps) that touch no ``ink`` (black print) and are :data:`LINE_SHAPE` times as wide
    as high, 1/12 in to 1 in high. A stamp pressed over the text touches it; a
    letterhead stands alone above it; margin ticks and loops are not that wide. Masks
    are 0/255 grey images; the result is the kept part of ``marks``."""
    factor = max(1, round(dpi / 37.5))
    cells = _cells(marks, factor)
    if not cells.any():
        return Image.new("L", marks.size, 0)
    inked = _cells(ink, factor)
    near_ink = inked.copy()
    near_ink[1:] |= inked[:-1]
    near_ink[:-1] |= inked[1:]
    near_ink[:, 1:] |= near_ink[:, :-1].copy()
    near_ink[:, :-1] |= near_ink[:, 1:].copy()
    joined = cells.copy()
    for shift in (1, 2):  # join the letters and words of a line
        joined[:, shift:] |= cells[:, :-shift]
        joined[:, :-shift] |= cells[:, shift:]
    keep = np.zeros_like(cells)
    low, high = dpi / 12 / factor, dpi / factor
    for group in _components(joined):
        ys, xs = np.array(group).T
        if near_ink[ys, xs].any():
            continue
        own = cells[ys, xs]  # the extent of the marks, not of the joining
        ys, xs = ys[own], xs[own]
        height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        if low <= height <= high and width >= LINE_SHAPE * height:
            keep[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] |= cells[
                ys.min() : ys.max() + 1, xs.min() : xs.max() + 1
            ]
    if not keep.any():
        return Image.new("L", marks.size, 0)
    cover = Image.fromarray(keep.astype(np.uint8) * 255).resize(
        (keep.shape[1] * factor, keep.shape[0] * factor), Image.Resampling.NEAREST
    )
    return ImageChops.multiply(marks, cover.crop((0, 0, *marks.size)))


def for_reading(
    image: Image.Image, *, drop_colour: bool = True, dpi: int = DEFAULT_DPI
) -> Image.Image:
    """The copy of a page Tesseract reads (the archive keeps the page as scanned):

    - colour dropout: strongly coloured, not dark pixels (a red receipt stamp over the
      text, blue ballpoint ticks and notes in the margin, a highlighter) become paper, so their
      strokes neither break the letters under them nor are read as characters; black
      print under coloured ink stays. Generated pages with a red stamp over three lines:
      CER 42 % → 0.4 %. Coloured pixels that form lines of their own
      (:func:`standalone_lines`: a red letterhead) stay, as dark as their darkest
      channel, so the sender's name is read and found; ``Limits.colour_dropout``
      switches dropout off.
    - grey stamps: when the dark part of the page has a flat mid-grey peak
      (:func:`_grey_ink`), its grey pixels that touch the black print become paper (a
      stamp lies over the text); grey lines of their own stay (grey print).
    - paper whitening: everything lighter than the ink/paper split (Otsu) becomes white
      and the ink is stretched to full contrast, so faint grey marks — text of the back
      shining through thin paper, a grey scanner background — are not read. Tesseract's
      recognition looks at grey levels, not only at its own binarisation: with the
      reverse side's text at grey 170 it misread umlauts ("ubernimmt"), 1.0 % → 0.35 %.

    Bilevel pages are returned as they are."""
    if image.mode == "1":
        return image
    if image.mode == "RGB":
        grey = image.convert("L")
        if drop_colour:
            _, saturation, value = image.convert("HSV").split()
            coloured = ImageChops.multiply(
                saturation.point(lambda s: 255 if s > INK_SATURATION else 0),
                value.point(lambda v: 255 if v > INK_VALUE else 0),
            )
            if coloured.getbbox() is not None:
                # Red ink is dark in grey too: black print is what is dark and not coloured.
                dark = grey.point(lambda v: 255 if v < INK_VALUE else 0)
                lines = standalone_lines(coloured, ImageChops.subtract(dark, coloured), dpi)
                grey = Image.composite(Image.new("L", grey.size, 255), grey, coloured)
                if lines.getbbox() is not None:
                    # Coloured print as dark as its darkest channel (red: its green).
                    red, green, blue = image.split()
                    darkest = ImageChops.darker(ImageChops.darker(red, green), blue)
                    grey = Image.composite(darkest, grey, lines)
    else:
        grey = image
    histogram = grey.histogram()
    split = max(1, _otsu(histogram))
    stamp = _grey_ink(histogram, split)
    if stamp is not None:
        marks = grey.point([255 if stamp <= v < split else 0 for v in range(256)])
        ink = grey.point([255 if v < stamp else 0 for v in range(256)])
        drop = ImageChops.subtract(marks, standalone_lines(marks, ink, dpi))
        grey = Image.composite(Image.new("L", grey.size, 255), grey, drop)
    out = grey.point([255 if v >= split else v * 255 // split for v in range(256)])
    out.info = dict(image.info)
    return out
