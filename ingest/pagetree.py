"""A balanced page tree for the archive PDF, so a viewer finds page 418 without page 1–417.

pdfium (and qpdf's linearisation) leave one ``/Pages`` node with every page as a direct
kid. PDF.js looks a page up by walking the kids and fetching each one to learn whether it
is a page or a subtree; in a linearised file every page object sits at the start of its
own page's section, so opening page 418 of a 600-page scan over Range requests fetched a
chunk (64 KiB) of each of the 417 pages before it (27 MB, 417 round trips). With
intermediate ``/Pages`` nodes of at most :data:`FANOUT` kids that carry ``/Count``, the
walk skips whole subtrees: about ``FANOUT × depth`` small node lookups instead.

Inheritable attributes (``/Resources``, ``/MediaBox``, ``/CropBox``, ``/Rotate``) are first
copied onto every page, so moving a page under a new parent changes nothing it shows.
"""

from __future__ import annotations

import pikepdf

FANOUT = 4
INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _inherited(node: pikepdf.Dictionary, key: str) -> object | None:
    seen = 0
    parent = node.get("/Parent")
    while parent is not None and seen < 64:
        if key in parent:
            return parent[key]
        parent = parent.get("/Parent")
        seen += 1
    return None


def balance(pdf: pikepdf.Pdf, fanout: int = FANOUT) -> None:
    """Rebuild the page tree under the existing root with nodes of ≤ ``fanout`` kids."""
    root = pdf.Root.Pages
    pages = [page.obj for page in pdf.pages]
    if len(pages) <= fanout:
        return
    for page in pages:
        for key in INHERITABLE:
            if key not in page:
                value = _inherited(page, key)
                if value is not None:
                    page[key] = value
    level: list[pikepdf.Object] = pages
    while len(level) > fanout:
        grouped: list[pikepdf.Object] = []
        for start in range(0, len(level), fanout):
            kids = level[start : start + fanout]
            count = sum(
                int(kid.get("/Count", 1)) if kid.get("/Type") == "/Pages" else 1 for kid in kids
            )
            node = pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array(kids), Count=count)
            )
            for kid in kids:
                kid.Parent = node
            grouped.append(node)
        level = grouped
    for key in INHERITABLE:
        if key in root:
            del root[key]
    root.Kids = pikepdf.Array(level)
    root.Count = len(pages)
    for kid in level:
        kid.Parent = root
