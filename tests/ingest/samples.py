"""Generated documents whose text is known: rendered German text, PDFs, broken files.

Everything is made on the fly with Pillow, reportlab and pypdf (no fixtures on disk), at
300 dpi so OCR sees what a scanner would deliver. Pages are short (a few lines) to keep
Tesseract's share of the test run small.
"""

from __future__ import annotations

import functools
import io
import math
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SERIF = FONT_DIR / "DejaVuSerif.ttf"
SANS = FONT_DIR / "DejaVuSans.ttf"

LETTER = [
    "Sehr geehrte Frau Müller,",
    "gemäß § 60 SGB II legen Sie bitte Ihre Lohnabrechnungen",
    "für die Monate März bis Mai vor. Die Größe der Wohnung",
    "beträgt 54 Quadratmeter; die Heizkosten übernimmt das",
    "Jobcenter. Straße, Hausnummer und Postleitzahl bitte",
    "vollständig angeben. Mit freundlichen Grüßen",
]
NOTICE = [
    "Bescheid über Leistungen zur Sicherung",
    "des Lebensunterhalts nach dem Zweiten Buch",
    "Sozialgesetzbuch. Änderungen Ihrer Verhältnisse",
    "müssen Sie unverzüglich mitteilen (§ 60 SGB I).",
]


def render_lines(
    lines: list[str],
    *,
    width: int = 2480,
    font_size: int = 44,
    font: Path = SERIF,
    margin: int = 180,
) -> Image.Image:
    """A white 300 dpi page strip with the lines in black (about 12 pt text)."""
    face = ImageFont.truetype(str(font), font_size)
    line_height = int(font_size * 1.6)
    height = 2 * margin + line_height * len(lines)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, font=face, fill=0)
    image.info["dpi"] = (300, 300)
    return image


def add_noise(image: Image.Image, *, amount: float = 0.01, seed: int = 7) -> Image.Image:
    """Salt-and-pepper noise on ``amount`` of the pixels (a dusty scanner glass)."""
    rng = random.Random(seed)
    noisy = image.copy()
    pixels = noisy.load()
    for _ in range(int(image.width * image.height * amount)):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        pixels[x, y] = 0 if rng.random() < 0.5 else 255
    return noisy


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def _register_font() -> str:
    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", str(SERIF)))
    return "DejaVuSerif"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A born-digital PDF: each page's lines as real text (a usable text layer)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    font = _register_font()
    for lines in pages:
        pdf.setFont(font, 12)
        for i, line in enumerate(lines):
            pdf.drawString(72, 770 - i * 18, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_pdf(images: list[Image.Image]) -> bytes:
    """A scan-only PDF: each page one 300 dpi image, no text layer."""
    buffer = io.BytesIO()
    first, *rest = [im.convert("L") for im in images]
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=300.0)
    return buffer.getvalue()


def mixed_pdf(text_lines: list[str], scan: Image.Image) -> bytes:
    """Page 1 born-digital, page 2 a scanned image (no text layer)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setFont(_register_font(), 12)
    for i, line in enumerate(text_lines):
        pdf.drawString(72, 770 - i * 18, line)
    pdf.showPage()
    width_pt = scan.width / 300 * 72
    height_pt = scan.height / 300 * 72
    pdf.drawImage(ImageReader(scan.convert("RGB")), 0, A4[1] - height_pt, width_pt, height_pt)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def many_pages_pdf(count: int) -> bytes:
    """A born-digital PDF of ``count`` pages, made fast by repeating one page object."""
    single = PdfReader(io.BytesIO(text_pdf([[*LETTER, "Seite mit Textebene"]])))
    writer = PdfWriter()
    for _ in range(count):
        writer.add_page(single.pages[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def without_unicode_map(data: bytes) -> bytes:
    """The PDF with every font's ToUnicode map removed: a subset font's glyph codes then
    say nothing about the characters (umlauts come out as control characters or vanish)."""
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        fonts = page["/Resources"]["/Font"]
        for key in fonts:
            font = fonts[key].get_object()
            if "/ToUnicode" in font:
                del font[NameObject("/ToUnicode")]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(password: str = "geheim") -> bytes:  # noqa: S107
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([LETTER]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated_pdf() -> bytes:
    """The first 40 % of a scan PDF: no page data, no cross-reference table."""
    data = image_pdf([render_lines(NOTICE)])
    return data[: int(len(data) * 0.4)]


def huge_page_pdf(points: float = 35_000) -> bytes:
    """One page of ``points`` × ``points`` (35,000 pt ≈ 12 m: ~146,000 px square at
    300 dpi) with no text layer, so it would have to be rendered for OCR."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(points, points), invariant=True)
    pdf.rect(100, 100, 1000, 1000, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@functools.cache  # 153 MB of rows through zlib: 1.3 CPU-seconds a call for the same bytes
def huge_image_pdf(side: int = 35_000) -> bytes:
    """An A4 page showing one ``side`` × ``side`` pixel bilevel image (1.2 gigapixels; the
    Flate stream of white pixels is only ~200 KB): a bomb for whoever decodes it."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    stream = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns %d "
        b"/Colors 1 /BitsPerComponent 1 >> /Length %d >>\nstream\n"
        % (side, side, side, len(stream))
        + stream
        + b"\nendstream",
    ]
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def bomb_png(side: int = 100_000) -> bytes:
    """A valid PNG header claiming ``side`` × ``side`` pixels (10 gigapixels), tiny file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def fax_tiff(pages: list[Image.Image], *, one_strip: bool = False) -> bytes:
    """A multi-page bilevel TIFF with CCITT Group 4 compression, as fax archives hold;
    ``one_strip``: each page one G4 strip (as many fax programs write it)."""
    frames = [p.convert("1", dither=Image.Dither.NONE) for p in pages]
    buffer = io.BytesIO()
    extra = {"strip_size": max((f.width + 7) // 8 * f.height for f in frames)} if one_strip else {}
    frames[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="group4",
        dpi=(300, 300),
        **extra,
    )
    return buffer.getvalue()


def broken_ifd_tiff() -> bytes:
    """A TIFF whose first IFD offset points past the end of the file."""
    good = fax_tiff([render_lines(NOTICE[:2])])
    return good[:4] + struct.pack("<I", len(good) + 10_000) + good[8:]


def jpeg_with_orientation(image: Image.Image, orientation: int) -> bytes:
    """A JPEG stored turned, with the EXIF tag telling viewers how to turn it back."""
    stored = {
        6: image.transpose(Image.Transpose.ROTATE_90),
        3: image.transpose(Image.Transpose.ROTATE_180),
        8: image.transpose(Image.Transpose.ROTATE_270),
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.convert("RGB").save(buffer, format="JPEG", quality=92, exif=exif, dpi=(300, 300))
    return buffer.getvalue()


def zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("brief.txt", "Hallo")
    return buffer.getvalue()


def normalise_text(text: str) -> str:
    return " ".join(text.split())


def cer(expected: str, actual: str) -> float:
    """Character error rate: Levenshtein distance / length of the expected text, after
    collapsing whitespace (line breaks are layout, not content)."""
    a, b = normalise_text(expected), normalise_text(actual)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(len(a), 1)


# --- Degraded scans, one generator per kind (deterministic: fixed seeds) -------------------


def tilted(image: Image.Image, angle: float) -> Image.Image:
    """The page turned ``angle`` degrees counter-clockwise on a larger white sheet (nothing
    cut off), as a sheet laid crooked on the scanner glass."""
    grey = image.convert("L")
    out = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out.info["dpi"] = image.info.get("dpi", (300, 300))
    return out


def jpeg_artefacts(image: Image.Image, *, quality: int = 12) -> bytes:
    """The page as a heavily compressed grey JPEG (quality 10–20: blocks and ringing)."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="JPEG", quality=quality, dpi=(300, 300))
    return buffer.getvalue()


def bleed_through(image: Image.Image, back: list[str], *, shade: int = 170) -> Image.Image:
    """The reverse side's text shining through thin paper: ``back`` rendered, mirrored,
    slightly blurred and faint (grey ``shade``), under the front's text."""
    reverse = render_lines(back, width=image.width, font=SANS, font_size=46, margin=200)
    reverse = reverse.resize(image.size).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    faint = reverse.point(lambda v: 255 - (255 - v) * (255 - shade) // 255)
    faint = faint.filter(ImageFilter.GaussianBlur(1.2))
    out = ImageChops.darker(image.convert("L"), faint)
    out.info["dpi"] = (300, 300)
    return out


def stamped(
    image: Image.Image, *, colour: tuple[int, int, int] = (200, 30, 40), seed: int = 3
) -> Image.Image:
    """A round receipt stamp ("EINGEGANGEN" and a date) in ink ``colour`` pressed over the
    text, as the post office of a jobcenter does it. Grey ink gives a grey page."""
    rng = random.Random(seed)
    page = image.convert("RGB")
    size = min(page.height - 20, 520)
    ink = Image.new("RGB", page.size, (255, 255, 255))
    draw = ImageDraw.Draw(ink)
    cx = page.width // 2 + rng.randrange(-200, 200)
    cy = page.height // 2
    r = size // 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=10)
    draw.ellipse((cx - r + 26, cy - r + 26, cx + r - 26, cy + r - 26), outline=colour, width=4)
    face = ImageFont.truetype(str(SANS), 54)
    for text, dy in (("EINGEGANGEN", -60), ("12. MRZ. 2024", 20), ("Jobcenter", 100)):
        width = draw.textlength(text, font=face)
        draw.text((cx - width / 2, cy + dy - 27), text, font=face, fill=colour)
    ink = ink.rotate(rng.uniform(-20, 20), center=(cx, cy), fillcolor=(255, 255, 255))
    out = ImageChops.multiply(page, ink)
    if colour[0] == colour[1] == colour[2]:
        out = out.convert("L")
    out.info["dpi"] = (300, 300)
    return out


def margin_scribbles(image: Image.Image, *, seed: int = 5) -> Image.Image:
    """Handwriting-like strokes in the margins (a caseworker's ticks, loops and a note
    scrawled beside the text) in blue ballpoint, plus one stroke under (and through) a
    line of text; the ink darkens the print it crosses."""
    rng = random.Random(seed)
    base = image.convert("RGB")
    page = Image.new("RGB", base.size, (255, 255, 255))  # the ink, pressed over the print
    draw = ImageDraw.Draw(page)
    blue = (30, 40, 150)

    def scrawl(x0: int, y0: int, length: int) -> None:
        x, y = float(x0), float(y0)
        points = [(x, y)]
        for step in range(length):
            x += rng.uniform(4, 12)
            y = y0 + 22 * math.sin(step / rng.uniform(1.5, 2.5)) + rng.uniform(-4, 4)
            points.append((x, y))
        draw.line(points, fill=blue, width=4, joint="curve")

    left = max(20, page.width // 60)
    for y in range(60, page.height - 60, 140):  # loops in the left margin
        if rng.random() < 0.7:
            scrawl(left, y, 12)
    for y in range(80, page.height - 60, 180):  # a note in the right margin
        scrawl(page.width - 150, y, 12)
    # a tick mark and an underline
    draw.line([(left + 10, 40), (left + 40, 80), (left + 110, 10)], fill=blue, width=6)
    y = page.height // 2 + 40
    draw.line(
        [(260, y), (page.width // 2, y + rng.randrange(-6, 6)), (page.width - 400, y + 4)],
        fill=blue,
        width=5,
    )
    out = ImageChops.multiply(base, page)
    out.info["dpi"] = (300, 300)
    return out


LETTERHEAD = "Jobcenter Musterstadt"


def letterhead(
    image: Image.Image, *, colour: tuple[int, int, int] = (200, 30, 40), text: str = LETTERHEAD
) -> Image.Image:
    """The page under a letterhead printed in a strong colour (the sender's name in red,
    as jobcenters and municipalities print it), standing alone above the text."""
    face = ImageFont.truetype(str(SANS), 64)
    band = 150
    page = Image.new("RGB", (image.width, image.height + band), (255, 255, 255))
    page.paste(image.convert("RGB"), (0, band))
    draw = ImageDraw.Draw(page)
    draw.text((180, 110), text, font=face, fill=colour)
    page.info["dpi"] = (300, 300)
    return page


#: The noisy-scan set: one generator per kind of damage, from a clean page to the bytes
#: of a scan file (the tests keep a CER threshold per kind; ``bench.ocr_kinds`` measures).
NOISY_SCANS: dict[str, Callable[[Image.Image], bytes]] = {
    "jpeg quality 10": lambda page: jpeg_artefacts(page, quality=10),
    "jpeg quality 20": lambda page: jpeg_artefacts(page, quality=20),
    "bleed-through": lambda page: png_bytes(bleed_through(page, NOTICE)),
    "red stamp": lambda page: png_bytes(stamped(page)),
    "grey stamp": lambda page: png_bytes(stamped(page, colour=(110, 110, 110))),
    "red letterhead": lambda page: png_bytes(letterhead(page)),
    "margin scribbles": lambda page: png_bytes(margin_scribbles(page)),
    "salt-and-pepper 3 %": lambda page: png_bytes(add_noise(page, amount=0.03)),
}


def noisy_scan_truth(kind: str) -> str:
    """What a reader sees on the ``kind`` page of the set: the letter, and the letterhead
    where there is one (a stamp's words are not part of the text)."""
    body = "\n".join(LETTER)
    return f"{LETTERHEAD}\n{body}" if kind == "red letterhead" else body
