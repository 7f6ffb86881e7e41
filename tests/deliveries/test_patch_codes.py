"""Kodak patch codes drawn as on a real patch sheet: found skewed, turned, noisy; ordinary
pages (text, tables, stripes, barcodes, the sample delivery's scans) are never taken for one."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from ingest.deliveries import patchcodes
from ingest.deliveries.patchcodes import PATTERNS, detect
from tests.deliveries.conftest import PROJECT, barcode_image, pdf_bytes, tiff_bytes

SAMPLES = PROJECT / "docs" / "examples" / "delivery" / "scans"


def patch_sheet(
    code: str,
    dpi: int,
    *,
    angle: float = 0.0,
    noise: float = 0.0,
    across: bool = False,
    seed: int = 0,
) -> Image.Image:
    """An A4 patch sheet: four bars 0.08 in / 0.20 in wide, 0.20 in apart, 3 in long, a
    printed label; optionally turned 90° (bars across), rotated by ``angle`` and speckled."""
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    bars = next(p for p, name in PATTERNS.items() if name == code)
    x, top, length = int(w * 0.4), int(h * 0.3), int(3.0 * dpi)
    for wide in bars:
        width = int((0.20 if wide else 0.08) * dpi)
        draw.rectangle([x, top, x + width - 1, top + length], fill=0)
        x += width + int(0.20 * dpi)
    draw.text((int(w * 0.4), top + length + dpi // 4), f"PATCH {code}", fill=0)
    if across:
        image = image.rotate(90, expand=True, fillcolor=255)
    if angle:
        image = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if noise:
        pixels = np.asarray(image).copy()
        flip = np.random.default_rng(seed).random(pixels.shape) < noise
        pixels[flip] = 255 - pixels[flip]
        image = Image.fromarray(pixels)
    return image


def mirror(code: str) -> str:
    bars = next(p for p, name in PATTERNS.items() if name == code)
    return PATTERNS[bars[::-1]]


@pytest.mark.parametrize("code", sorted(set(PATTERNS.values())))
@pytest.mark.parametrize(
    ("dpi", "angle", "across", "noise"),
    [
        (200, 0, False, 0.0),
        (300, 3, False, 0.0),
        (200, -7, False, 0.01),
        (300, 12, False, 0.0),
        (200, -12, True, 0.02),
        (300, 5, True, 0.0),
        (200, 183, False, 0.01),
        (200, 270, False, 0.0),
    ],
)
def test_each_code_is_found_skewed_turned_and_noisy(code, dpi, angle, across, noise):
    found = detect(patch_sheet(code, dpi, angle=angle, across=across, noise=noise), dpi)
    assert f"PATCH{code}" in found
    # read the other way round a code is its mirror image; nothing else is reported
    assert found == {f"PATCH{code}", f"PATCH{mirror(code)}"}


def test_mirror_pairs_are_2_and_t_and_3_and_6():
    assert patchcodes.names("T") == patchcodes.names("2") == {"PATCHT", "PATCH2"}
    assert patchcodes.names("3") == {"PATCH3", "PATCH6"}
    assert patchcodes.names("1") == {"PATCH1"} and patchcodes.names("4") == {"PATCH4"}


def _stripes(widths: list[float], gap: float, dpi: int = 200, length: float = 3.0):
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    x = int(1.5 * dpi)
    for width in widths:
        draw.rectangle([x, dpi * 2, x + int(width * dpi), dpi * 2 + int(length * dpi)], fill=0)
        x += int(width * dpi) + int(gap * dpi)
    return image


def _table(dpi: int = 100) -> Image.Image:
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.line([(60, 100 + i * 40), (760, 100 + i * 40)], fill=0, width=2)
    for x in (60, 200, 420, 560, 760):
        draw.line([(x, 100), (x, 540)], fill=0, width=2)
    for i in range(11):
        draw.text((70, 110 + i * 40), f"Position {i}   123,45 EUR   Miete Nebenkosten", fill=0)
    return image


def _sample_pages():
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix == ".pdf":
            pdf = pdfium.PdfDocument(str(path))
            for i in range(len(pdf)):
                yield f"{path.name}:{i + 1}", pdf[i].render(scale=100 / 72).to_pil(), 100
        else:
            with Image.open(path) as tif:
                for i in range(tif.n_frames):
                    tif.seek(i)
                    yield f"{path.name}:{i + 1}", tif.copy(), tif.info.get("dpi", (300,))[0]


def test_ordinary_pages_are_never_patch_codes():
    pages = list(_sample_pages())
    pages += [
        ("8 equal stripes", _stripes([0.15] * 8, 0.2), 200),
        ("4 equal wide stripes", _stripes([0.2] * 4, 0.2), 200),
        ("3 bars", _stripes([0.2, 0.08, 0.2], 0.2), 200),
        ("5 bars", _stripes([0.2, 0.08, 0.2, 0.08, 0.2], 0.2), 200),
        ("short bars", _stripes([0.2, 0.08, 0.2, 0.08], 0.2, length=0.8), 200),
        ("bars too far apart", _stripes([0.2, 0.08, 0.2, 0.08], 0.7), 200),
        ("table", _table(), 100),
        ("barcode", _with_barcode(), 100),
    ]
    for n, data in enumerate((pdf_bytes(3, "Seite"), pdf_bytes(2, "Akte", separators=(2,)))):
        pdf = pdfium.PdfDocument(data)
        pages += [
            (f"pdf{n}:{i}", pdf[i].render(scale=100 / 72).to_pil(), 100) for i in range(len(pdf))
        ]
    with Image.open(io.BytesIO(tiff_bytes(3, separators=(2,)))) as tif:
        for i in range(3):
            tif.seek(i)
            pages.append((f"tiff:{i}", tif.copy(), 100))
    assert len(pages) > 15
    assert {name: detect(image, dpi) for name, image, dpi in pages if detect(image, dpi)} == {}


def _with_barcode() -> Image.Image:
    image = Image.new("L", (827, 1169), 255)
    image.paste(barcode_image("PATCHT"), (150, 300))
    return image


def test_a_tiff_box_with_skewed_patch_sheets_is_split_at_them(tmp_path: Path):
    """A 200 dpi G4 TIFF box: pages, a Patch T skewed 8°, pages, Patch 2 upside down, a
    page; with ``PATCHT`` configured both sheets separate (2 is T's mirror image)."""
    from ingest.deliveries.separators import scan, split

    def page(label: str) -> Image.Image:
        image = Image.new("L", (1654, 2339), 255)
        ImageDraw.Draw(image).text((200, 200), label, fill=0)
        return image

    def fit(image: Image.Image) -> Image.Image:
        return image.crop((0, 0, 1654, 2339)) if image.size != (1654, 2339) else image

    frames = [
        page("A1"),
        page("A2"),
        fit(patch_sheet("T", 200, angle=8)),
        page("B1"),
        fit(patch_sheet("2", 200, angle=180)),
        page("C1"),
    ]
    path = tmp_path / "box.tif"
    bitonal = [f.convert("1") for f in frames]
    bitonal[0].save(
        path, "TIFF", save_all=True, append_images=bitonal[1:], compression="group4", dpi=(200, 200)
    )
    assert [p.number for p in scan(path, "image/tiff", ["PATCHT"]) if p.separator] == [3, 5]
    parts = split(path, "image/tiff", ["PATCHT"], tmp_path)
    assert [len(pdfium.PdfDocument(str(p))) for p in parts] == [2, 1, 1]
    # a tenant that separates on Patch 3 only: no separator here, one part
    assert len(split(path, "image/tiff", ["PATCH3"], tmp_path)) == 1
