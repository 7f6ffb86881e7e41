"""Letters are tagged PDF in German (BITV 2.0): a screen reader finds the language and the
text in reading order, and the page prints exactly as the untagged rendering did."""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from outbox import tagging
from outbox.render import LetterContent, render_letter
from outbox.validation import check_letter

RECIPIENT = ["Frau", "Ayşe Yılmaz", "Lindenweg 3b", "54321 Beispielort"]


def _letter() -> bytes:
    return render_letter(
        LetterContent(
            sender_name="Jobcenter Musterstadt",
            recipient_lines=RECIPIENT,
            aktenzeichen="AZ-7",
            subject="Aufforderung zur Mitwirkung",
            body="Sehr geehrte Frau Yılmaz,\n\nbitte reichen Sie die Kontoauszüge ein.\n\n"
            + "Weiterer Text. " * 400,
            letter_date=date(2026, 11, 30),
            return_address="Jobcenter Musterstadt · Postfach 1 · 12345 Musterstadt",
        )
    )


def _text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "l.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout


def _pixels(pdf: bytes) -> list[bytes]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=1).to_pil().tobytes() for page in doc]
    finally:
        doc.close()


def test_a_letter_is_tagged_in_german_with_its_text_in_paragraphs():
    pdf = _letter()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == "de-DE"
        assert bool(doc.Root.MarkInfo.Marked) is True
        assert bool(doc.Root.ViewerPreferences.DisplayDocTitle) is True
        tree = doc.Root.StructTreeRoot
        document = tree.K
        assert str(document.S) == "/Document"
        assert len(doc.pages) >= 2, "the body spans pages"
        nums = list(tree.ParentTree.Nums)
        assert int(tree.ParentTreeNextKey) == len(doc.pages)
        for index, page in enumerate(doc.pages):
            assert int(page.obj.StructParents) == index
            assert int(nums[2 * index]) == index
            paragraphs = list(nums[2 * index + 1])
            assert paragraphs, f"page {index + 1} has text"
            for mcid, element in enumerate(paragraphs):
                assert str(element.S) == "/P" and int(element.K) == mcid
                assert element.Pg.objgen == page.obj.objgen
            # every marked sequence of the page is closed, and the text is inside them
            depth, text_outside = 0, 0
            for _operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BDC", "BMC"):
                    depth += 1
                elif name == "EMC":
                    depth -= 1
                    assert depth >= 0
                elif name in ("Tj", "TJ", "'", '"') and depth == 0:
                    text_outside += 1
            assert depth == 0 and text_outside == 0
        assert len(list(document.K)) == sum(
            len(list(nums[2 * i + 1])) for i in range(len(doc.pages))
        )


def test_tagging_changes_neither_the_print_nor_the_text(monkeypatch: pytest.MonkeyPatch):
    tagged = _letter()
    monkeypatch.setattr(tagging, "tag_letter", lambda pdf, **_kw: pdf)
    plain = _letter()
    with pikepdf.open(io.BytesIO(plain)) as doc:
        assert "/StructTreeRoot" not in doc.Root
    assert _pixels(tagged) == _pixels(plain)
    assert _text(tagged) == _text(plain)
    checked = check_letter(io.BytesIO(tagged), max_pages=20)
    assert checked.recipient_lines == RECIPIENT
    assert "Aufforderung zur Mitwirkung" in _text(tagged)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tagged.pdf"
        path.write_bytes(tagged)
        checked_by_qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True)
        assert checked_by_qpdf.returncode == 0, checked_by_qpdf.stdout
