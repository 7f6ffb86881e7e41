"""Rendered letters as tagged PDF with a language, so screen readers read them (BITV 2.0).

reportlab writes untagged PDF: no structure tree, no ``/Lang``. A blind recipient's screen
reader (or a caseworker's) then guesses the language and may skip the text. Rather than
leave the renderer whose layout the print checks have been tuned against
(:mod:`outbox.printcheck`, :mod:`outbox.profiles`), the finished PDF gets its tags
afterwards: every text object (``BT … ET``) of a page becomes one marked-content sequence
``/P <</MCID n>> BDC … EMC``, referenced by a paragraph element of a ``/Document``
structure tree, in the order the renderer drew it (letterhead, return line, address,
Informationsblock, subject, body, portal notice: the reading order of a German letter).
Everything else on the page (rules, the accent bar, the QR code's squares) is marked as an
``/Artifact``, which screen readers skip. The catalogue gets ``/Lang``, ``/MarkInfo``
``<</Marked true>>`` and ``DisplayDocTitle``.

The drawing operators are kept as they are, in the same order: the page prints exactly
as before (tests compare the rendered pixels and the extracted text).
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, Operator

#: The language of every letter akte writes (German administrative letters).
LANG = "de-DE"

_BT, _ET = Operator("BT"), Operator("ET")
_BDC, _BMC, _EMC = Operator("BDC"), Operator("BMC"), Operator("EMC")
#: Operators that only set state: they may stay outside any marked-content sequence.
_STATE = frozenset(
    Operator(op)
    for op in (
        *("q", "Q", "cm", "w", "J", "j", "M", "d", "ri", "i", "gs"),
        *("CS", "cs", "SC", "SCN", "sc", "scn", "G", "g", "RG", "rg", "K", "k"),
        *("Tc", "Tw", "Tz", "TL", "Tf", "Tr", "Ts"),
    )
)
#: Operators that end a path (fill or stroke it): the end of one drawn artefact.
_PAINT = frozenset(
    Operator(op) for op in ("S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n", "sh", "Do", "EI")
)


def tag_letter(pdf: bytes, *, lang: str = LANG) -> bytes:
    """``pdf`` with a structure tree (one paragraph per text object), artefacts marked,
    and ``/Lang``; the pages draw exactly as before."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        root = doc.Root
        tree = doc.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = doc.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.Document, P=tree, K=Array())
        )
        tree.K = document
        nums = Array()
        for index, page in enumerate(doc.pages):
            paragraphs = _tag_page(doc, page, document)
            page.obj.StructParents = index
            page.obj.Tabs = Name.S
            nums.append(index)
            nums.append(doc.make_indirect(Array(paragraphs)))
        tree.ParentTree = doc.make_indirect(Dictionary(Nums=nums))
        tree.ParentTreeNextKey = len(doc.pages)
        root.StructTreeRoot = tree
        root.MarkInfo = Dictionary(Marked=True)
        root.Lang = pikepdf.String(lang)
        preferences = root.get("/ViewerPreferences", Dictionary())
        preferences.DisplayDocTitle = True
        root.ViewerPreferences = preferences
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
        return out.getvalue()


def _tag_page(doc: pikepdf.Pdf, page: pikepdf.Page, document: Dictionary) -> list[Dictionary]:
    """Rewrite the page's content with marked content; its paragraph elements, by MCID."""
    instructions = pikepdf.parse_content_stream(page)
    out: list[tuple[list, Operator]] = []
    paragraphs: list[Dictionary] = []
    in_text = False
    in_artifact = False

    def close_artifact() -> None:
        nonlocal in_artifact
        if in_artifact:
            out.append(([], _EMC))
            in_artifact = False

    for operands, operator in instructions:
        if operator == _BT:
            close_artifact()
            mcid = len(paragraphs)
            element = doc.make_indirect(
                Dictionary(Type=Name.StructElem, S=Name.P, P=document, Pg=page.obj, K=mcid)
            )
            paragraphs.append(element)
            document.K.append(element)
            out.append(([Name.P, Dictionary(MCID=mcid)], _BDC))
            out.append((list(operands), operator))
            in_text = True
            continue
        if operator == _ET:
            out.append((list(operands), operator))
            out.append(([], _EMC))
            in_text = False
            continue
        if in_text or operator in _STATE:
            if operator in (Operator("q"), Operator("Q")):
                close_artifact()
            out.append((list(operands), operator))
            continue
        # path construction and painting outside text: decoration, not content
        if not in_artifact:
            out.append(([Name.Artifact], _BMC))
            in_artifact = True
        out.append((list(operands), operator))
        if operator in _PAINT:
            close_artifact()
    close_artifact()
    page.obj.Contents = doc.make_stream(pikepdf.unparse_content_stream(out))
    return paragraphs
