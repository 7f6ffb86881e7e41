"""The archive PDF of a scan: no larger than the scan, its image kept as it was scanned,
searchable, and fit for the line (linearised) and for keeping (PDF/A-2b).

Processor only (no database): what the archive holds does not depend on the storage.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, TiffImagePlugin
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ingest import pdfa
from ingest.images import rotate
from ingest.processor import Processed, process_file
from tests.ingest import samples
from tests.ingest.samples import LETTER, NOTICE


def run(tmp_path: Path, data: bytes, name: str) -> Processed:
    source = tmp_path / name
    source.write_bytes(data)
    return process_file(source, tmp_path / f"work-{name}")


class Image_:
    """An archive page's image: its stored bytes and stream dictionary."""

    def __init__(self, stream: pikepdf.Stream) -> None:
        self.raw = stream.read_raw_bytes()
        self.keys = {str(key): value for key, value in stream.items()}
        self.filter = str(self.keys["/Filter"]).strip("[] ")
        self.size = (int(self.keys["/Width"]), int(self.keys["/Height"]))


def images_of(processed: Processed) -> list[Image_]:
    """The image of each archive page (one per scanned page)."""
    with pikepdf.open(processed.archive_path) as pdf:
        out = []
        for page in pdf.pages:
            [image] = list(page.get_images().values())
            out.append(Image_(image))
        return out


def layer_text(processed: Processed) -> str:
    pdf = pdfium.PdfDocument(str(processed.archive_path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def _jpeg(image: Image.Image, dpi: int, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()


def test_fax_pages_stay_bitonal_g4_and_the_archive_no_larger_than_the_fax(tmp_path: Path) -> None:
    # two full A4 pages with a little line noise, as faxes come (G4: some 40 kB each);
    # the archive adds a fixed ~3.5 kB (sRGB profile, XMP) and the text layer
    page = samples.add_noise(samples.render_lines(LETTER * 4), amount=0.002)
    fax = samples.fax_tiff([page, samples.add_noise(page, amount=0.002, seed=8)])
    processed = run(tmp_path, fax, "fax.tif")
    for image in images_of(processed):
        assert image.filter == "/CCITTFaxDecode"
        assert image.keys["/BitsPerComponent"] == 1
    assert processed.archive_path.stat().st_size <= 1.1 * len(fax)
    assert "Lohnabrechnungen" in layer_text(processed)


def test_an_upright_grey_jpeg_is_kept_byte_for_byte(tmp_path: Path) -> None:
    scan = _jpeg(samples.render_lines(LETTER), 300)
    processed = run(tmp_path, scan, "scan.jpg")
    [image] = images_of(processed)
    assert image.raw == scan
    assert image.keys["/ColorSpace"] == pikepdf.Name.DeviceGray
    assert processed.archive_path.stat().st_size <= 1.1 * len(scan)
    assert "Lohnabrechnungen" in layer_text(processed)


def test_a_200_dpi_colour_scan_pdf_keeps_its_jpeg_resolution_and_colour(tmp_path: Path) -> None:
    page = samples.render_lines(LETTER)
    page = page.resize((page.width * 2 // 3, page.height * 2 // 3))
    colour = Image.merge("RGB", [page, page, page.point(lambda v: v * 200 // 255)])
    buffer = io.BytesIO()
    colour.save(buffer, format="PDF", resolution=200.0, quality=85)
    scan_pdf = buffer.getvalue()
    with pikepdf.open(io.BytesIO(scan_pdf)) as original:
        [embedded] = [Image_(i) for i in original.pages[0].get_images().values()]
    assert embedded.filter == "/DCTDecode"
    processed = run(tmp_path, scan_pdf, "scan.pdf")
    [image] = images_of(processed)
    # not rendered up to 300 dpi, not turned grey, not compressed a second time
    assert image.size == colour.size
    assert image.keys["/ColorSpace"] == pikepdf.Name.DeviceRGB
    assert image.raw == embedded.raw
    assert processed.archive_path.stat().st_size <= 1.1 * len(scan_pdf)
    [result] = processed.pages
    assert result.method == "ocr" and "Lohnabrechnungen" in result.text


def page_sizes(processed: Processed) -> list[tuple[float, float]]:
    pdf = pdfium.PdfDocument(str(processed.archive_path))
    try:
        return [page.get_size() for page in pdf]
    finally:
        pdf.close()


def g4_strip(tiff_bytes: bytes) -> bytes:
    """The G4 data of a one-strip, one-page TIFF."""
    with Image.open(io.BytesIO(tiff_bytes)) as tiff:
        [offset] = (
            tiff.tag_v2[TiffImagePlugin.STRIPOFFSETS]
            if isinstance(tiff.tag_v2[TiffImagePlugin.STRIPOFFSETS], tuple)
            else (tiff.tag_v2[TiffImagePlugin.STRIPOFFSETS],)
        )
        count = tiff.tag_v2[TiffImagePlugin.STRIPBYTECOUNTS]
        count = count[0] if isinstance(count, tuple) else count
    return tiff_bytes[offset : offset + count]


def test_a_sideways_jpeg_keeps_its_bytes_and_is_turned_on_the_page(tmp_path: Path) -> None:
    """A page whose only correction is a quarter turn is not compressed a second time:
    the archive holds the scan's JPEG, drawn turned, and the page is upright (portrait)."""
    upright = samples.render_lines(LETTER * 4, width=2000)
    assert upright.height > upright.width
    scan = _jpeg(rotate(upright, 90), 300)
    processed = run(tmp_path, scan, "sideways.jpg")
    assert processed.pages[0].rotated == 270 and processed.pages[0].skew == 0
    [image] = images_of(processed)
    assert image.raw == scan
    assert image.size == (upright.height, upright.width)  # stored as scanned: landscape
    [(width, height)] = page_sizes(processed)
    assert height > width  # shown upright
    assert "Lohnabrechnungen" in layer_text(processed)
    assert processed.archive_path.stat().st_size <= 1.1 * len(scan)


def test_an_upside_down_scan_pdf_page_keeps_its_jpeg(tmp_path: Path) -> None:
    upright = samples.render_lines(LETTER * 4, width=2000)
    buffer = io.BytesIO()
    rotate(upright, 180).save(buffer, format="PDF", resolution=300.0, quality=85)
    scan_pdf = buffer.getvalue()
    with pikepdf.open(io.BytesIO(scan_pdf)) as original:
        [embedded] = [Image_(i) for i in original.pages[0].get_images().values()]
    processed = run(tmp_path, scan_pdf, "upside-down.pdf")
    assert processed.pages[0].rotated == 180
    [image] = images_of(processed)
    assert image.raw == embedded.raw
    assert "Lohnabrechnungen" in layer_text(processed)


def test_a_sideways_fax_keeps_its_g4_data(tmp_path: Path) -> None:
    """The bitonal pixels are stored unturned; G4 of the same pixels in one strip is the
    same bytes as the fax's own strip."""
    upright = samples.render_lines(LETTER * 4, width=2000)
    fax = samples.fax_tiff([rotate(upright, 270)], one_strip=True)
    processed = run(tmp_path, fax, "sideways.tif")
    assert processed.pages[0].rotated == 90
    [image] = images_of(processed)
    assert image.filter == "/CCITTFaxDecode"
    assert image.raw == g4_strip(fax)
    [(width, height)] = page_sizes(processed)
    assert height > width
    assert "Lohnabrechnungen" in layer_text(processed)


@pytest.mark.parametrize("colour", [False, True])
def test_a_png_scan_is_kept_lossless_and_no_larger(tmp_path: Path, colour: bool) -> None:
    """A PNG holds its pixels without loss: the archive keeps them so (Flate, the same
    pixels), at about the PNG's size; a JPEG of a clean page was 2–3× the PNG."""
    # A full page: the fixed costs (sRGB profile, XMP, some 4 kB) would dominate a strip.
    text = samples.render_lines(LETTER * 6)
    page = samples.stamped(text) if colour else text
    scan = samples.png_bytes(page)
    processed = run(tmp_path, scan, "scan.png")
    [image] = images_of(processed)
    assert image.filter == "/FlateDecode"
    with pikepdf.open(processed.archive_path) as pdf:
        [stream] = list(pdf.pages[0].get_images().values())
        stored = pikepdf.PdfImage(stream).as_pil_image()
    assert stored.mode == page.mode
    assert ImageChops.difference(stored, page).getbbox() is None
    assert processed.archive_path.stat().st_size <= 1.1 * len(scan)


def test_a_straightened_page_is_stored_as_jpeg_and_not_larger(tmp_path: Path) -> None:
    skewed = samples.render_lines(LETTER).rotate(
        2, resample=Image.Resampling.BICUBIC, fillcolor=255
    )
    png = samples.png_bytes(skewed)
    processed = run(tmp_path, png, "skewed.png")
    [image] = images_of(processed)
    assert image.filter == "/DCTDecode"
    assert processed.pages[0].skew != 0
    assert processed.archive_path.stat().st_size <= 1.1 * len(png)


def test_archives_are_linearised_for_page_by_page_loading(tmp_path: Path) -> None:
    scan = samples.image_pdf([samples.render_lines(LETTER), samples.render_lines(NOTICE)])
    processed = run(tmp_path, scan, "scan.pdf")
    with pikepdf.open(processed.archive_path) as pdf:
        assert pdf.is_linearized
        assert pdf.check_linearization(stream=io.StringIO())
        assert len(pdf.pages) == 2


def test_ocr_and_embedded_font_archives_are_declared_pdfa_2b(tmp_path: Path) -> None:
    pdfmetrics.registerFont(TTFont("DejaVuSerif", str(samples.SERIF)))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, initialFontName="DejaVuSerif")  # embedded
    for i, line in enumerate(LETTER[:3]):
        pdf.drawString(72, 770 - i * 18, line)
    pdf.showPage()
    scan = samples.render_lines(NOTICE)
    pdf.drawImage(
        ImageReader(scan.convert("RGB")), 0, 0, scan.width * 72 / 300, scan.height * 72 / 300
    )
    pdf.save()
    mixed = buffer.getvalue()
    processed = run(tmp_path, mixed, "mixed.pdf")
    assert [page.method for page in processed.pages] == ["text-layer", "ocr"]
    assert pdfa.problems(processed.archive_path) == []
    with pikepdf.open(processed.archive_path) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        [intent] = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1
        assert not pdf.is_encrypted


def test_a_page_with_a_font_the_sender_did_not_embed_is_not_declared_pdfa(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)
    pdf.setFont("Helvetica", 12)  # one of the 14 standard fonts: never embedded
    pdf.drawString(72, 770, "Bescheid über Leistungen nach dem SGB II vom 1. März")
    pdf.save()
    processed = run(tmp_path, buffer.getvalue(), "helvetica.pdf")
    assert processed.pages[0].method == "text-layer"
    found = pdfa.problems(processed.archive_path)
    assert "page 1: font Helvetica is not embedded" in [f.replace("/", "") for f in found]
    assert "XMP does not declare PDF/A-2b" in found or "no XMP metadata" in found


def test_a_long_archive_has_a_balanced_page_tree_in_page_order(tmp_path: Path) -> None:
    """A viewer looks page 38 up through nodes of at most four kids (a few small fetches
    over the line) instead of through the 37 pages before it; order and text are kept."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in range(1, 41):
        pdf.setPageSize((595, 842) if number % 2 else (842, 595))  # landscape pages too
        # a born-digital statement; every tenth page's layer too short to trust (OCR'd)
        account = "" if number % 10 == 0 else " der Sparkasse Musterstadt"
        pdf.drawString(72, 500, f"Kontoauszug{account} Blatt {number}")
        pdf.showPage()
    pdf.save()
    processed = run(tmp_path, buffer.getvalue(), "auszuege.pdf")

    def widest(node: pikepdf.Dictionary, depth: int = 0) -> tuple[int, int]:
        kids = [kid for kid in node.Kids if kid.get("/Type") == "/Pages"]
        below = [widest(kid, depth + 1) for kid in kids]
        return (max([len(node.Kids)] + [w for w, _ in below]), max([depth] + [d for _, d in below]))

    with pikepdf.open(processed.archive_path) as archive:
        assert archive.is_linearized
        assert archive.check_linearization(stream=io.StringIO())
        assert int(archive.Root.Pages.Count) == 40
        fanout, depth = widest(archive.Root.Pages)
        assert fanout <= 4 and depth >= 2
        sizes = [tuple(round(float(v)) for v in page.mediabox[2:]) for page in archive.pages]
        assert sizes == [(595, 842) if n % 2 else (842, 595) for n in range(1, 41)]
    text = pdfium.PdfDocument(str(processed.archive_path))
    try:
        assert "Blatt 38" in text[37].get_textpage().get_text_range()
    finally:
        text.close()
