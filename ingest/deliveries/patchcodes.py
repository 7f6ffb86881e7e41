"""Kodak patch codes: the four-bar separator sheets of production scanners.

A patch code is not a barcode zxing-cpp reads: it is four parallel bars, each wide
(0.20 in, ~5 mm) or narrow (0.08 in, ~2 mm), with ~5 mm spaces, at least ~2 in long. Every
code has exactly two wide and two narrow bars; read across the bars:

=====  =======
code   bars
=====  =======
1      W N N W
2      W N W N
3      W W N N
4      N W W N
6      N N W W
T      N W N W
=====  =======

Detection works on a binarised page at ~50 dpi (shrunk by averaging, so specks fade): the
skew is found by rotating within ±15° (3° steps, then 1°) and keeping the angle whose projection
profile is sharpest, separately for bars running down the page and across it (together
with reading either way, the four orientations). On the deskewed page the columns whose
longest ink run is bar-long form the bars; exactly four of them, with widths that fall
into two narrow and two wide, spaces in the patch range and similar lengths, are a code.

A page turned by 180° reads every code backwards, which turns 2 into T and 3 into 6
(1 and 4 read the same both ways). Without knowing which way up the sheet went through the
scanner the two cannot be told apart, so :func:`detect` returns the code together with its
mirror image; a separator rule that names one of a pair accepts both.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

PATTERNS = {
    (1, 0, 0, 1): "1",
    (1, 0, 1, 0): "2",
    (1, 1, 0, 0): "3",
    (0, 1, 1, 0): "4",
    (0, 0, 1, 1): "6",
    (0, 1, 0, 1): "T",
}
WORK_DPI = 50
COARSE_ANGLES = tuple(range(-15, 16, 3))
MM = WORK_DPI / 25.4  # pixels per millimetre at the working resolution
MIN_BAR_MM = 35.0
NARROW_MM = (1.0, 3.8)
WIDE_MM = (3.2, 9.0)
SPACE_MM = (2.0, 10.0)
QUIET_MM = 6.0
PREFILTER_MM = 15.0


def names(code: str) -> frozenset[str]:
    """``PATCH<code>`` and the name of its mirror image (what an upside-down sheet reads)."""
    bars = next(p for p, c in PATTERNS.items() if c == code)
    return frozenset({f"PATCH{code}", f"PATCH{PATTERNS[bars[::-1]]}"})


def _ink(image: Image.Image, dpi: float) -> np.ndarray:
    """The page at WORK_DPI as a 0/1 array (1 = ink). Shrinking averages each pixel over
    at least 2×2 source pixels, so isolated specks fade below the threshold."""
    gray = image.convert("L")
    factor = dpi / WORK_DPI
    if abs(factor - round(factor)) < 0.05 and round(factor) >= 1:
        small = gray.reduce(round(factor)) if round(factor) > 1 else gray
    else:
        size = (max(1, round(gray.width / factor)), max(1, round(gray.height / factor)))
        small = gray.resize(size, Image.Resampling.BOX)
    return (np.asarray(small) < 128).astype(np.uint8)


def _rotate(ink: np.ndarray, angle: int) -> np.ndarray:
    if angle == 0:
        return ink
    image = Image.fromarray(ink * 255).rotate(angle, Image.Resampling.NEAREST, expand=True)
    return (np.asarray(image) > 127).astype(np.uint8)


def _sharpness(ink: np.ndarray, angle: int, axis: int) -> int:
    profile = _rotate(ink, angle).sum(axis=axis, dtype=np.int64)
    return int((profile * profile).sum())


def _best_angle(ink: np.ndarray, axis: int) -> int:
    """The rotation that makes bars along ``axis`` sharpest (largest squared profile):
    a 3° search, then the degree either side of its best."""
    coarse = max(COARSE_ANGLES, key=lambda a: _sharpness(ink, a, axis))
    return max((coarse - 1, coarse, coarse + 1), key=lambda a: _sharpness(ink, a, axis))


def _longest_runs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: the longest vertical ink run, and the row where it starts and ends."""
    padded = np.pad(ink.T, ((0, 0), (1, 1))).astype(np.int8)
    edges = np.diff(padded, axis=1)
    starts = np.argwhere(edges == 1)
    ends = np.argwhere(edges == -1)
    width = ink.shape[1]
    longest = np.zeros(width, dtype=np.int64)
    top = np.zeros(width, dtype=np.int64)
    bottom = np.zeros(width, dtype=np.int64)
    if len(starts):
        lengths = ends[:, 1] - starts[:, 1]
        order = np.lexsort((lengths, starts[:, 0]))  # by column, longest run last
        cols = starts[order, 0]
        last = np.r_[cols[1:] != cols[:-1], True]
        chosen = order[last]
        longest[starts[chosen, 0]] = lengths[chosen]
        top[starts[chosen, 0]] = starts[chosen, 1]
        bottom[starts[chosen, 0]] = ends[chosen, 1]
    return longest, top, bottom


def _bars(upright: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bars on a page whose bars run vertically: ``(left, right, top, bottom)`` columns."""
    longest, top, bottom = _longest_runs(upright)
    tall = longest >= MIN_BAR_MM * MM
    bars = []
    col = 0
    while col < len(tall):
        if not tall[col]:
            col += 1
            continue
        start = col
        while col < len(tall) and tall[col]:
            col += 1
        bars.append((start, col, int(np.median(top[start:col])), int(np.median(bottom[start:col]))))
    return bars


def _decode(bars: list[tuple[int, int, int, int]]) -> str | None:
    """The code of four neighbouring bars, or ``None`` if they are not a patch code."""
    for first in range(len(bars) - 3):
        group = bars[first : first + 4]
        if first > 0 and group[0][0] - bars[first - 1][1] < QUIET_MM * MM:
            continue
        if first + 4 < len(bars) and bars[first + 4][0] - group[3][1] < QUIET_MM * MM:
            continue
        code = _pattern(group)
        if code is not None:
            return code
    return None


def _pattern(group: list[tuple[int, int, int, int]]) -> str | None:
    widths = [(right - left) / MM for left, right, _, _ in group]
    spaces = [(group[i + 1][0] - group[i][1]) / MM for i in range(3)]
    lengths = [(bottom - top) / MM for _, _, top, bottom in group]
    if not all(SPACE_MM[0] <= s <= SPACE_MM[1] for s in spaces):
        return None
    if max(lengths) > 1.3 * min(lengths):
        return None
    ranked = sorted(widths)
    narrow, wide = ranked[:2], ranked[2:]
    if not (NARROW_MM[0] <= narrow[0] and narrow[1] <= NARROW_MM[1]):
        return None
    if not (WIDE_MM[0] <= wide[0] and wide[1] <= WIDE_MM[1]) or wide[0] < 1.6 * narrow[1]:
        return None
    threshold = (narrow[1] + wide[0]) / 2
    return PATTERNS.get(tuple(int(w > threshold) for w in widths))


def _may_hold_bars(ink: np.ndarray) -> bool:
    """Cheap test before the angle search: a wide bar skewed by up to 15° still leaves an
    ink run of ~19 mm along or across the page; text pages have none."""
    need = PREFILTER_MM * MM
    return _max_run(ink) >= need or _max_run(ink.T) >= need


def _max_run(ink: np.ndarray) -> int:
    """The longest vertical ink run anywhere: the running ink count minus its value at the
    last white pixel above (cheaper than listing every run)."""
    counts = np.cumsum(ink, axis=0, dtype=np.int32)
    last_white = np.where(ink == 0, counts, 0)
    np.maximum.accumulate(last_white, axis=0, out=last_white)
    return int((counts - last_white).max()) if ink.size else 0


def detect(image: Image.Image, dpi: float) -> frozenset[str]:
    """The patch code on the page as ``{"PATCH<code>", "PATCH<mirror>"}``, or empty."""
    ink = _ink(image, dpi)
    if ink.mean() > 0.5 or not ink.any() or not _may_hold_bars(ink):
        return frozenset()
    for axis in (0, 1):  # axis 0: bars run down the page; 1: across it
        upright = _rotate(ink, _best_angle(ink, axis))
        if axis == 1:
            upright = upright.T
        code = _decode(_bars(upright))
        if code is not None:
            return names(code)
    return frozenset()
