"""One archive page for a scanned page: the page image, stored no larger than the scan,
under Tesseract's invisible text layer.

Tesseract's own PDF output re-encodes grey pages as JPEG (a second lossy compression of a
JPEG scan) and stores whatever image it was given. Here Tesseract writes only the text
layer (``textonly_pdf``) and the image is stored by how the scan was stored:

- **bitonal** (fax, black-and-white scans): CCITT Group 4, lossless and what fax TIFFs
  hold already (Pillow's libtiff encoder; no free JBIG2 encoder is packaged in Debian);
- **the scan's own JPEG**, byte for byte, when the page was neither straightened nor
  cleaned (a JPEG file, or the one JPEG of a scanned PDF page): no second compression;
- a grey or colour page of a lossless scan (PNG, TIFF) shown as scanned (at most turned
  a quarter): lossless, Flate with PNG predictors (about the size of the PNG);
- any other grey or colour page (straightened or cleaned, so resampled): JPEG at
  :data:`JPEG_QUALITY`.

The image is drawn under the text over the whole page, so the text layer (laid out by
Tesseract for the same pixels) lines up in every viewer. A page that was only turned by a
quarter turn keeps the scan's image unturned and is turned by the matrix that draws it
(:func:`_turned`): the image stream is the scan's, the page shows upright, and the text
layer, laid out by Tesseract for the upright pixels, lines up all the same.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from PIL import Image, TiffImagePlugin

#: JPEG quality for grey and colour pages that have to be encoded: text stays sharp and
#: a 300-dpi A4 grey page takes a few hundred kB (``bench/archive``).
JPEG_QUALITY = 75


def _g4(image: Image.Image) -> tuple[bytes, pikepdf.Dictionary]:
    """The page as one CCITT G4 strip, cut from a TIFF that libtiff wrote."""
    buffer = io.BytesIO()
    image.save(
        buffer, "TIFF", compression="group4", strip_size=(image.width + 7) // 8 * image.height
    )
    buffer.seek(0)
    with Image.open(buffer) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
        offsets = tiff.tag_v2[TiffImagePlugin.STRIPOFFSETS]
        counts = tiff.tag_v2[TiffImagePlugin.STRIPBYTECOUNTS]
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if len(offsets) != 1:
            raise ValueError("libtiff wrote more than one strip")
        # libtiff codes the bits as they are, and G4 calls 0 bits "white": Pillow writes
        # mode "1" as min-is-black (0 = black), so the decoded 0 bits must show as black.
        black_is_1 = tiff.tag_v2.get(TiffImagePlugin.PHOTOMETRIC_INTERPRETATION, 0) == 1
    data = buffer.getvalue()[offsets[0] : offsets[0] + counts[0]]
    params = pikepdf.Dictionary(K=-1, Columns=image.width, Rows=image.height, BlackIs1=black_is_1)
    return data, pikepdf.Dictionary(
        Filter=pikepdf.Name.CCITTFaxDecode,
        DecodeParms=params,
        BitsPerComponent=1,
        ColorSpace=pikepdf.Name.DeviceGray,
    )


def _passable_jpeg(jpeg: bytes) -> tuple[pikepdf.Name, tuple[int, int]] | None:
    """DeviceGray or DeviceRGB and the size of a JPEG a PDF can show as it is; None for
    anything else (CMYK, Adobe-inverted, damaged)."""
    try:
        with Image.open(io.BytesIO(jpeg)) as probe:
            if probe.format != "JPEG":
                return None
            space = {"L": pikepdf.Name.DeviceGray, "RGB": pikepdf.Name.DeviceRGB}.get(probe.mode)
            return (space, probe.size) if space is not None else None
    except OSError:
        return None


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _flate(image: Image.Image) -> tuple[bytes, pikepdf.Dictionary]:
    """The page lossless: Pillow's PNG encoding (zlib with PNG row filters), whose image
    data a PDF reads as it is with ``FlateDecode`` and PNG predictors — about the size of
    the scan's PNG file, where a JPEG of a clean text page is 2–3× larger (and lossy)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    png = buffer.getvalue()
    chunks, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"IDAT":
            chunks.append(png[at + 8 : at + 8 + length])
        at += 12 + length
    colours = 1 if image.mode == "L" else 3
    params = pikepdf.Dictionary(
        Predictor=15, Colors=colours, BitsPerComponent=8, Columns=image.width
    )
    return b"".join(chunks), pikepdf.Dictionary(
        Filter=pikepdf.Name.FlateDecode,
        DecodeParms=params,
        BitsPerComponent=8,
        ColorSpace=pikepdf.Name.DeviceGray if colours == 1 else pikepdf.Name.DeviceRGB,
    )


def image_xobject(
    pdf: pikepdf.Pdf, image: Image.Image, jpeg: bytes | None = None, *, lossless: bool = False
) -> pikepdf.Stream:
    """The image as a PDF image XObject; ``jpeg`` are the scan's own bytes for exactly these
    pixels (passed through when a PDF can show them as they are); ``lossless``: the scan
    held these pixels without loss, so they are stored without loss (Flate)."""
    passable = _passable_jpeg(jpeg) if jpeg and image.mode != "1" else None
    size = image.size
    if image.mode == "1":
        data, keys = _g4(image)
    elif jpeg and passable is not None:
        colour_space, size = passable
        data, keys = (
            jpeg,
            pikepdf.Dictionary(
                Filter=pikepdf.Name.DCTDecode, BitsPerComponent=8, ColorSpace=colour_space
            ),
        )
    elif lossless and image.mode in ("L", "RGB"):
        data, keys = _flate(image)
    else:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        data = _jpeg(image)
        keys = pikepdf.Dictionary(
            Filter=pikepdf.Name.DCTDecode,
            BitsPerComponent=8,
            ColorSpace=pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB,
        )
    stream = pikepdf.Stream(pdf, data)
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = size
    for key, value in keys.items():
        stream[key] = value
    return stream


def _turned(turn: int, width: float, height: float, x0: float, y0: float) -> str:
    """The ``cm`` matrix that draws the unit square of an image, turned ``turn`` degrees
    counter-clockwise, over the page box (``width`` × ``height`` of the *upright* page).

    With (u, v) the image's own coordinates (v = 1 at its first row): 90° puts its top
    edge on the left, 180° upside down, 270° its top edge on the right."""
    a, b, c, d, e, f = {
        0: (width, 0, 0, height, 0, 0),
        90: (0, height, -width, 0, width, 0),
        180: (-width, 0, 0, -height, width, height),
        270: (0, -height, width, 0, 0, height),
    }[turn % 360]
    return f"{a:.4f} {b:.4f} {c:.4f} {d:.4f} {e + x0:.4f} {f + y0:.4f} cm"


def image_page(
    text_pdf: Path,
    image: Image.Image,
    out: Path,
    *,
    jpeg: bytes | None = None,
    turn: int = 0,
    lossless: bool = False,
) -> Path:
    """Write ``out``: Tesseract's one-page text-only PDF with ``image`` drawn under the
    text, filling the page. ``turn`` (counter-clockwise degrees, a multiple of 90) is the
    quarter turn that makes ``image`` upright; Tesseract's page is the upright one."""
    with pikepdf.open(text_pdf) as pdf:
        page = pdf.pages[0]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        if pikepdf.Name.Resources not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        if pikepdf.Name.XObject not in page.obj.Resources:
            page.obj.Resources.XObject = pikepdf.Dictionary()
        page.obj.Resources.XObject.Im0 = image_xobject(pdf, image, jpeg, lossless=lossless)
        draw = f"q {_turned(turn, x1 - x0, y1 - y0, x0, y0)} /Im0 Do Q\n".encode()
        page.contents_add(pikepdf.Stream(pdf, draw), prepend=True)
        pdf.save(out, compress_streams=True, deterministic_id=True)
    return out
