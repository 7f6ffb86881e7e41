"""Helping the Posteingang along: a title suggested from the recognised text, and a warning
when the same bytes already lie in the caller's Akten.

Title: an item arrives titled with its file name ("IMG_20250412.jpg", "scan0003.pdf").
:func:`suggest_title` proposes the Dokumentart with the period the text names ("Lohnabrechnung
Mai 2025"), or, without a recognised Dokumentart, the first line of the text that reads like
a heading; only when the text gives nothing does the file name stay (without extension).

Duplicates: :func:`duplicates` finds other documents with a version of the same SHA-256
*among the documents the caller may read* (``documents.repository.readable_statement``), so
the warning links to them and never reveals that an Akte the caller cannot open holds the
same file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.documents import repository as document_scope
from akte.documents.models import Document, DocumentVersion

MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
_MONTH_YEAR = re.compile(
    r"\b(Januar|Februar|März|Maerz|April|Mai|Juni|Juli|August|September|Oktober|November|"
    r"Dezember)\s+(20\d\d|19\d\d)\b",
    re.IGNORECASE,
)
_NUMERIC_MONTH = re.compile(r"\b(0?[1-9]|1[0-2])[./](20\d\d)\b")
_LETTERS = re.compile(r"[A-Za-zÄÖÜäöüß]")
_FILE_NOISE = re.compile(r"[_]+")


def _period(text: str) -> str | None:
    """ "Mai 2025" from the first month named with a year ("Mai 2025", "05/2025")."""
    found = _MONTH_YEAR.search(text)
    if found:
        name = found.group(1).capitalize().replace("Maerz", "März")
        return f"{name} {found.group(2)}"
    numeric = _NUMERIC_MONTH.search(text)
    if numeric:
        return f"{MONTHS[int(numeric.group(1)) - 1]} {numeric.group(2)}"
    return None


def _heading(text: str) -> str | None:
    """The first line that reads like words: two of them, eight letters at least, and no
    longer than a title (letterheads of addresses and numbers are skipped by that)."""
    for line in text.splitlines()[:15]:
        line = " ".join(line.split())
        if (
            len(line.split()) >= 2
            and len(_LETTERS.findall(line)) >= 8
            and len(line) <= 80
            and len(_LETTERS.findall(line)) >= len(line) // 2
        ):
            return line
    return None


def suggest_title(filename: str, doc_type: str | None, text: str | None) -> str:
    text = text or ""
    if doc_type:
        period = _period(text)
        return f"{doc_type} {period}" if period else doc_type
    heading = _heading(text)
    if heading:
        return heading
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return " ".join(_FILE_NOISE.sub(" ", stem).split()) or filename


@dataclass(frozen=True)
class Duplicate:
    document_id: uuid.UUID
    title: str
    case_file_id: uuid.UUID
    aktenzeichen: str


def duplicates(
    session: Session, principal: Principal, document_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Duplicate]]:
    """For each of ``document_ids``: the *other* documents the caller may read that hold a
    version with the same SHA-256 as one of its versions."""
    if not document_ids:
        return {}
    own = session.execute(
        select(DocumentVersion.document_id, DocumentVersion.sha256).where(
            DocumentVersion.document_id.in_(list(document_ids))
        )
    ).all()
    by_hash: dict[str, set[uuid.UUID]] = {}
    for document_id, sha256 in own:
        by_hash.setdefault(sha256, set()).add(document_id)
    if not by_hash:
        return {}
    readable = document_scope.readable_statement(principal).with_only_columns(Document.id)
    rows = session.execute(
        select(
            DocumentVersion.sha256, Document.id, Document.title, CaseFile.id, CaseFile.aktenzeichen
        )
        .join(Document, Document.id == DocumentVersion.document_id)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .where(DocumentVersion.sha256.in_(sorted(by_hash)), Document.id.in_(readable))
        .order_by(Document.received_at, Document.id)
    ).all()
    found: dict[uuid.UUID, list[Duplicate]] = {}
    for sha256, other_id, title, case_file_id, aktenzeichen in rows:
        for document_id in by_hash[sha256]:
            if other_id != document_id and all(
                d.document_id != other_id for d in found.get(document_id, [])
            ):
                found.setdefault(document_id, []).append(
                    Duplicate(other_id, title, case_file_id, aktenzeichen)
                )
    return found
