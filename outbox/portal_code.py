"""An upload code on a letter: the portal address, the code and a QR code that opens the
portal with the code filled in.

Only the SHA-256 of a code is stored (:mod:`akte.uploads.service`), so a letter can print a code
only when its plaintext is at hand: either the caseworker sends the code as it was shown
when issued (``upload_code``; it must be a usable code of the letter's Akte), or the letter
issues a fresh one in its own transaction (``issue_upload_code``), whose plaintext then
exists only on the letter.

**The code never travels in a URL the server sees.** The QR code (and the link in the
text) is ``<public url>/upload#code=ABCD-EFGH-JKMN-PQRS``: browsers never send the fragment
after ``#`` to the server, so the code appears in no access log, proxy log or ``Referer``
header. ``portal_code.js`` on the start page moves it into the code field and removes it
from the address bar and history (``history.replaceState``), so a shared screenshot or
the back button does not keep it either. Nothing is redeemed until the citizen presses
"Weiter": a phone's QR preview or a link checker that opens the address redeems nothing.
Without JavaScript the field stays empty and the citizen types the code printed beside the
QR code. (A one-time link token was the alternative; it would still be a secret in a
logged URL for the time it is valid, and would need a table of its own.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.core.errors import Unprocessable

#: What the preview prints where the code issued on sending will stand.
PREVIEW_CODE = "XXXX-XXXX-XXXX-XXXX"


@dataclass(frozen=True)
class PortalNotice:
    """What the letter prints: where to go, the code, and what the QR code opens."""

    portal_url: str
    code: str
    qr_url: str


def portal_url(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/upload"


def link_with_code(public_url: str, display_code: str) -> str:
    """The portal with the code in the fragment: never sent to (or logged by) a server."""
    return f"{portal_url(public_url)}#code={display_code}"


def notice(public_url: str, display_code: str) -> PortalNotice:
    return PortalNotice(
        portal_url(public_url), display_code, link_with_code(public_url, display_code)
    )


def _refused() -> Unprocessable:
    return Unprocessable(
        "Der Upload-Code gehört nicht zu dieser Akte oder ist nicht mehr gültig",
        code="upload_code_not_in_akte",
    )


def resolve(session: Session, case_file: CaseFile, code_text: str) -> tuple[uuid.UUID, str]:
    """The id and display form of the usable code ``code_text`` of ``case_file``; 422
    ``upload_code_not_in_akte`` otherwise. No rate limit: only staff who may write the
    letter get here, and a code of another Akte is refused like an unknown one."""
    from akte.uploads import service as codes  # the uploads feature, imported at call time
    from akte.uploads.models import UploadCode

    normalized = codes.normalize(code_text)
    if len(normalized) != codes.GROUPS * codes.GROUP_LEN:
        raise _refused()
    row = session.scalar(
        select(UploadCode).where(
            UploadCode.code_hash == codes.code_hash(normalized),
            UploadCode.case_file_id == case_file.id,
        )
    )
    if row is None or not codes.is_usable(row):
        raise _refused()
    return row.id, codes.display(normalized)


def issue_for_letter(
    session: Session, principal: Principal, case_file: CaseFile
) -> tuple[uuid.UUID, str]:
    """A fresh code for the letter's Akte (the same permission as issuing one on the code
    page: the Akte's owners); its plaintext is printed on the letter and nowhere else."""
    from akte.uploads import service as codes

    issued = codes.issue(session, principal, case_file.id)
    return issued.code.id, issued.plaintext
