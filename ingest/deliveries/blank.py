"""Blank pages: the empty backsides a duplex scanner captures, told from pages with writing.

The page is binarised at 100 dpi and judged by where its ink is, not by how much of it
there is, because the two things that make an empty page look inked are spread thin or
sit at the edge:

* the outer 5 % on every side is ignored (scanner edges, the shadow of a skewed sheet,
  punch holes);
* ink pixels with fewer than two ink neighbours are dropped (sensor noise, dust);
* the rest is cut into 4 mm cells; a cell holds writing when 6 %–70 % of it is ink
  (a solid black cell is an edge or a shadow, not writing);
* a page without such a cell is blank. Evenly spread noise fills none; a single short
  word fills one or two. Doubt counts as writing: a page wrongly taken for blank could be
  removed, one wrongly kept costs only a page.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

DPI = 100
MARGIN = 0.05
CELL_MM = 4.0
CELL_INK = (0.06, 0.70)
MIN_CELLS = 1


def _ink(image: Image.Image, dpi: float) -> np.ndarray:
    gray = image.convert("L")
    if abs(dpi - DPI) > 5:
        scale = DPI / dpi
        gray = gray.resize(
            (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
            Image.Resampling.BOX,
        )
    ink = np.asarray(gray) < 128
    h, w = ink.shape
    dy, dx = int(h * MARGIN), int(w * MARGIN)
    return ink[dy : h - dy, dx : w - dx]


def _denoise(ink: np.ndarray) -> np.ndarray:
    """Ink pixels with at least two ink neighbours (isolated specks and pairs go)."""
    padded = np.pad(ink, 1).astype(np.uint8)
    h, w = ink.shape
    neighbours = sum(
        padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if dy or dx
    )
    return ink & (neighbours >= 2)


def written_cells(image: Image.Image, dpi: float) -> int:
    """How many 4 mm cells of the page hold writing (see the module docstring)."""
    ink = _denoise(_ink(image, dpi))
    cell = max(2, round(CELL_MM / 25.4 * DPI))
    h, w = (ink.shape[0] // cell) * cell, (ink.shape[1] // cell) * cell
    if not h or not w:
        return 0
    cover = ink[:h, :w].reshape(h // cell, cell, w // cell, cell).mean(axis=(1, 3))
    return int(((cover >= CELL_INK[0]) & (cover <= CELL_INK[1])).sum())


def is_blank(image: Image.Image, dpi: float) -> bool:
    return written_cells(image, dpi) < MIN_CELLS
