"""The structural half of the print check (pypdf): what a print street cannot process.

* visible area: CropBox and TrimBox must show the whole A4 page, not only MediaBox;
* a page turned by 180° (``/Rotate 180``) is named as such;
* every font embedded (Type 3 fonts are embedded by nature);
* no form fields, no JavaScript, no annotations, no transparency (groups, soft masks,
  constant alpha below 1, blend modes).

Flattening is done only where it is clearly safe: link and popup annotations never print,
so :func:`prepare` drops them. Everything else is refused: flattening a form or a
transparency group changes what is printed, and nobody would see it before it is posted.
:func:`prepare` also re-writes PDFs encrypted with an empty user password (only the
permissions are restricted) so the print street receives an unencrypted file.

Messages are German, for the caseworker, and name the page.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

from outbox import geometry as g
from outbox.printcheck_errors import fail

SAFE_ANNOTATIONS = {"/Link", "/Popup"}
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_NORMAL_BLEND = {"/Normal", "/Compatible"}


def prepare(fileobj: BinaryIO) -> BinaryIO:
    """``fileobj`` itself, or a re-written copy without encryption and safe annotations."""
    fileobj.seek(0)
    try:
        reader = PdfReader(fileobj)
        rewrite = False
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise fail(
                    "pdf",
                    "das PDF ist mit einem nicht unterstützten Verfahren "
                    "verschlüsselt; bitte ohne Verschlüsselung speichern",
                ) from exc
            if opened == PasswordType.NOT_DECRYPTED:
                raise fail(
                    "pdf",
                    "das PDF lässt sich nur mit Kennwort öffnen; bitte ohne Kennwort speichern",
                )
            rewrite = True
        rewrite = rewrite or any(_safe_annotations(page) for page in reader.pages)
        if not rewrite:
            fileobj.seek(0)
            return fileobj
        writer = PdfWriter()
        writer.append(reader)
        for page in writer.pages:
            if "/Annots" in page:
                keep = [
                    a
                    for a in page["/Annots"]
                    if a.get_object().get("/Subtype") not in SAFE_ANNOTATIONS
                ]
                if keep:
                    page[NameObject("/Annots")] = ArrayObject(keep)
                else:
                    del page["/Annots"]
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, FileNotDecryptedError, ValueError, KeyError, TypeError) as exc:
        raise fail("pdf", f"das PDF ist beschädigt ({type(exc).__name__})") from exc
    out.seek(0)
    return out


def _safe_annotations(page) -> bool:
    return any(
        a.get_object().get("/Subtype") in SAFE_ANNOTATIONS for a in page.get("/Annots") or []
    )


def _mm(value: float) -> str:
    return f"{value / g.MM:.0f}".replace(".", ",")


def check_structure(reader: PdfReader) -> None:
    """Raise :class:`LetterInvalid` for the first thing a print street cannot use."""
    root = reader.trailer["/Root"]
    fields = (root.get("/AcroForm") or {}).get("/Fields") if "/AcroForm" in root else None
    if fields:
        raise fail(
            "forms",
            f"das PDF enthält {len(fields)} Formularfeld(er); bitte das "
            "ausgefüllte Formular als flaches PDF speichern („Drucken als PDF“)",
        )
    names = root.get("/Names")
    open_action = root.get("/OpenAction")
    if (
        (names and "/JavaScript" in names.get_object())
        or "/AA" in root
        or (isinstance(open_action, DictionaryObject) and "/JS" in open_action)
    ):
        raise fail(
            "javascript",
            "das PDF enthält JavaScript; bitte ohne Skripte speichern (z. B. als PDF/A)",
        )
    for number, page in enumerate(reader.pages, start=1):
        _check_page(number, page)


def _check_page(number: int, page) -> None:
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    if rotate == 180:
        raise fail(
            "a4_portrait",
            f"Seite {number} ist um 180° gedreht (steht auf dem Kopf); bitte aufrecht speichern",
        )
    for label, box in (
        ("sichtbare Bereich (CropBox)", page.cropbox),
        ("Endformat (TrimBox)", page.trimbox),
    ):
        width, height = float(box.width), float(box.height)
        if rotate % 180:
            width, height = height, width
        tol = g.A4_TOLERANCE_MM * g.MM
        if abs(width - g.A4_WIDTH_MM * g.MM) > tol or abs(height - g.A4_HEIGHT_MM * g.MM) > tol:
            raise fail(
                "a4_portrait",
                f"Seite {number}: der {label} ist {_mm(width)} × "
                f"{_mm(height)} mm; gedruckt wird nur dieser Ausschnitt, er muss die "
                "ganze A4-Seite (210 × 297 mm) zeigen",
            )
    for annotation in page.get("/Annots") or []:
        subtype = annotation.get_object().get("/Subtype")
        if subtype == "/Widget":
            raise fail(
                "forms",
                f"Seite {number} enthält ein Formularfeld; bitte das "
                "ausgefüllte Formular als flaches PDF speichern („Drucken als PDF“)",
            )
        raise fail(
            "annotations",
            f"Seite {number} enthält eine Anmerkung ({subtype}); ob "
            "sie gedruckt wird, hängt vom Programm ab: bitte Anmerkungen entfernen "
            "oder das PDF flach speichern („Drucken als PDF“)",
        )
    if "/AA" in page:
        raise fail(
            "javascript",
            f"Seite {number} enthält Aktionen (JavaScript); bitte "
            "ohne Skripte speichern (z. B. als PDF/A)",
        )
    group = page.get("/Group")
    if group is not None and group.get_object().get("/S") == "/Transparency":
        raise _transparent(number, "Transparenzgruppe der Seite")
    _check_resources(number, page.get("/Resources"), set())


def _transparent(number: int, what: str):
    return fail(
        "transparency",
        f"Seite {number} enthält Transparenz ({what}); Druckstraßen "
        "verarbeiten keine Transparenz: bitte reduziert speichern (z. B. PDF/X-1a "
        "oder „Drucken als PDF“)",
    )


def _check_resources(number: int, resources, seen: set[int]) -> None:
    """Fonts, soft masks and alpha in a resource dictionary and the forms it uses."""
    if resources is None:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        _check_font(number, font.get_object())
    for state in (resources.get("/ExtGState") or {}).values():
        state = state.get_object()
        mask = state.get("/SMask")
        if mask is not None and mask != "/None":
            raise _transparent(number, "weiche Maske")
        for key in ("/CA", "/ca"):
            if key in state and float(state[key]) < 1:
                raise _transparent(number, f"Deckkraft {float(state[key]):.0%}")
        blend = state.get("/BM")
        if (
            blend is not None
            and blend not in _NORMAL_BLEND
            and not (isinstance(blend, list) and set(blend) <= _NORMAL_BLEND)
        ):
            raise _transparent(number, f"Füllmethode {blend}")
    for xobject in (resources.get("/XObject") or {}).values():
        ref = getattr(xobject, "idnum", None)
        if ref is not None and ref in seen:
            continue
        if ref is not None:
            seen.add(ref)
        xobject = xobject.get_object()
        if "/SMask" in xobject:
            raise _transparent(number, "Bild mit Alphakanal")
        group = xobject.get("/Group")
        if group is not None and group.get_object().get("/S") == "/Transparency":
            raise _transparent(number, "Transparenzgruppe")
        if xobject.get("/Subtype") == "/Form":
            _check_resources(number, xobject.get("/Resources"), seen)


def _check_font(number: int, font) -> None:
    if font.get("/Subtype") == "/Type3":
        return
    described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
    descriptor = described.get("/FontDescriptor")
    if descriptor is None or not any(k in descriptor.get_object() for k in _FONT_FILES):
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        raise fail(
            "fonts",
            f"Seite {number}: die Schrift „{name}“ ist nicht eingebettet; die "
            "Druckstraße würde eine Ersatzschrift nehmen. Bitte das PDF mit "
            "eingebetteten Schriften erzeugen (z. B. als PDF/A)",
        )
