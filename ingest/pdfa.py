"""PDF/A-2b for the archive: declared only where the file meets it.

An archive is declared PDF/A-2b (XMP metadata with ``pdfaid:part=2``,
``pdfaid:conformance=B``, and an sRGB OutputIntent for the device colours of the scans)
when :func:`content_problems` finds nothing against the key requirements of ISO 19005-2
that the pages themselves decide:

- no encryption, no JavaScript, no embedded files, no LZW;
- every font that a page, a form XObject or an annotation appearance uses is embedded
  (OCR pages use Tesseract's embedded GlyphLessFont; born-digital pages copied from the
  original may use a font the sender did not embed, and then the file is *not* declared);
- no CMYK colour (the OutputIntent is RGB), no interpolated images;
- annotations printable and not hidden.

:func:`problems` adds the declaration itself (XMP, identifiers, OutputIntent, an unfiltered
metadata stream) and is what the tests check every archive with. It is a check of the key
requirements, not a validator: veraPDF (Java) is not packaged in Debian and was not used.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

#: Debian's icc-profiles-free (scripts/install-system-deps.sh): an ICC v2 sRGB profile.
SRGB_PROFILES = (
    Path("/usr/share/color/icc/sRGB.icc"),
    Path("/usr/share/color/icc/colord/sRGB.icc"),
)
SRGB = "sRGB IEC61966-2.1"

_EMBEDDED = (pikepdf.Name.FontFile, pikepdf.Name.FontFile2, pikepdf.Name.FontFile3)


def srgb_profile() -> bytes | None:
    for path in SRGB_PROFILES:
        if path.is_file():
            return path.read_bytes()
    return None


def _font_problem(font: pikepdf.Dictionary) -> str | None:
    subtype = font.get(pikepdf.Name.Subtype)
    if subtype == pikepdf.Name.Type3:
        return None  # glyphs are content streams of the file itself
    if subtype == pikepdf.Name.Type0:
        descendants = font.get(pikepdf.Name.DescendantFonts) or []
        font = descendants[0] if len(descendants) else font
    descriptor = font.get(pikepdf.Name.FontDescriptor)
    if descriptor is None or not any(key in descriptor for key in _EMBEDDED):
        return f"font {str(font.get(pikepdf.Name.BaseFont, '?')).lstrip('/')} is not embedded"
    return None


def _resources_problems(resources: pikepdf.Object, seen: set[tuple[int, int]]) -> list[str]:
    """Fonts, colour spaces and images of a resource dictionary and its form XObjects."""
    if not isinstance(resources, pikepdf.Dictionary):
        return []
    if resources.is_indirect:
        if resources.objgen in seen:
            return []
        seen.add(resources.objgen)
    found: list[str] = []
    for font in (resources.get(pikepdf.Name.Font) or {}).values():
        problem = _font_problem(font)
        if problem:
            found.append(problem)
        if font.get(pikepdf.Name.Subtype) == pikepdf.Name.Type3:
            found += _resources_problems(font.get(pikepdf.Name.Resources), seen)
    for space in (resources.get(pikepdf.Name.ColorSpace) or {}).values():
        if "DeviceCMYK" in repr(space):
            found.append("CMYK colour without a CMYK OutputIntent")
    for xobject in (resources.get(pikepdf.Name.XObject) or {}).values():
        subtype = xobject.get(pikepdf.Name.Subtype)
        if subtype == pikepdf.Name.Image:
            if xobject.get(pikepdf.Name.ColorSpace) == pikepdf.Name.DeviceCMYK:
                found.append("CMYK image without a CMYK OutputIntent")
            if xobject.get(pikepdf.Name.Interpolate) is True:
                found.append("an image asks for interpolation")
            if "LZWDecode" in repr(xobject.get(pikepdf.Name.Filter)):
                found.append("LZW-compressed image")
        elif subtype == pikepdf.Name.Form:
            found += _resources_problems(xobject.get(pikepdf.Name.Resources), seen)
    return found


def content_problems(pdf: pikepdf.Pdf) -> list[str]:
    """What in the pages keeps the file from being PDF/A-2b (empty: nothing found)."""
    found: list[str] = []
    if pdf.is_encrypted:
        found.append("encrypted")
    names = pdf.Root.get(pikepdf.Name.Names) or {}
    if pikepdf.Name.JavaScript in names or pikepdf.Name.AA in pdf.Root:
        found.append("JavaScript or document actions")
    if pikepdf.Name.EmbeddedFiles in names:
        found.append("embedded files")
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        for problem in _resources_problems(page.obj.get(pikepdf.Name.Resources), seen):
            found.append(f"page {number}: {problem}")
        for annot in page.obj.get(pikepdf.Name.Annots) or []:
            flags = int(annot.get(pikepdf.Name.F, 0))
            if annot.get(pikepdf.Name.Subtype) != pikepdf.Name.Popup and (
                not flags & 4 or flags & (1 | 2 | 32)
            ):
                found.append(f"page {number}: an annotation is hidden or not printable")
            appearance = annot.get(pikepdf.Name.AP) or {}
            normal = appearance.get(pikepdf.Name.N)
            if isinstance(normal, pikepdf.Stream):
                found += [
                    f"page {number}: {p}"
                    for p in _resources_problems(normal.get(pikepdf.Name.Resources), seen)
                ]
    return list(dict.fromkeys(found))


def declare(pdf: pikepdf.Pdf) -> list[str]:
    """Declare the file PDF/A-2b if nothing is found against it; returns what was found
    (then nothing is declared)."""
    found = content_problems(pdf)
    profile = srgb_profile()
    if profile is None:
        found.append("no sRGB ICC profile installed (Debian package icc-profiles-free)")
    if found:
        return found
    icc = pikepdf.Stream(pdf, profile)
    icc.N = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier=SRGB,
                    Info=SRGB,
                    DestOutputProfile=pdf.make_indirect(icc),
                )
            )
        ]
    )
    # No editor stamp and no dates: the same pages give the same bytes (see archive).
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
    return []


def problems(path: Path) -> list[str]:
    """Everything :func:`content_problems` checks, and the declaration: XMP with
    pdfaid part 2 / conformance B in an unfiltered metadata stream, a file identifier,
    an sRGB OutputIntent with its profile."""
    with pikepdf.open(path) as pdf:
        found = content_problems(pdf)
        metadata = pdf.Root.get(pikepdf.Name.Metadata)
        if not isinstance(metadata, pikepdf.Stream):
            return [*found, "no XMP metadata"]
        if pikepdf.Name.Filter in metadata:
            found.append("the XMP metadata stream is compressed")
        meta = pdf.open_metadata()
        if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") != "B":
            found.append("XMP does not declare PDF/A-2b")
        if pikepdf.Name.ID not in pdf.trailer:
            found.append("no file identifier")
        intents = pdf.Root.get(pikepdf.Name.OutputIntents) or []
        gts = [i for i in intents if i.get(pikepdf.Name.S) == pikepdf.Name.GTS_PDFA1]
        if len(gts) != 1 or int(gts[0].DestOutputProfile.get(pikepdf.Name.N, 0)) != 3:
            found.append("no single RGB PDF/A OutputIntent")
        for key, value in pdf.docinfo.items():
            if key == "/Title" and meta.get("dc:title") != str(value):
                found.append("document info and XMP disagree on the title")
        return found
