"""Upload codes: issued for one Akte, printed on a letter, redeemed by a citizen.

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown in four
groups (``ABCD-EFGH-JKMN-PQRS``): about 78 bits, so guessing is hopeless even before the
rate limit. Citizens may type it in lower case, with or without dashes or spaces. Only
its SHA-256 is stored; the first group stays in clear to rate-limit guesses per prefix.

Redeeming refuses unknown, expired and revoked codes alike with one message, so a guesser
learns nothing about which codes exist; after too many failures per IP address or per
prefix a wrong code is answered 429 (see :mod:`akte.uploads.ratelimit`), while a valid code
is still admitted: guessing 78 bits is hopeless, and a citizen behind the same address as
a guesser must not be locked out.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.database import utcnow
from akte.core.errors import Forbidden, NotFound
from akte.core.settings import Settings
from akte.uploads import ratelimit, repository
from akte.uploads.models import UploadCode

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LEN = 4, 4
#: Failed attempts per window before 429: per client IP address and per code prefix.
IP_LIMIT = 10
PREFIX_LIMIT = 20
DEFAULT_VALID_DAYS = 28


class CodeRefused(Exception):
    """Unknown, expired or revoked; deliberately not telling which."""


class CodeRateLimited(Exception):
    """Too many failed attempts from this address or for this prefix."""


@dataclass(frozen=True)
class IssuedCode:
    code: UploadCode
    plaintext: str


def normalize(raw: str) -> str:
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return cleaned[: GROUPS * GROUP_LEN]


def display(normalized: str) -> str:
    return "-".join(normalized[i : i + GROUP_LEN] for i in range(0, len(normalized), GROUP_LEN))


def code_hash(normalized: str) -> str:
    return hashlib.sha256(f"akte-upload-code:{normalized}".encode()).hexdigest()


def _new_plaintext() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))


def issue(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> IssuedCode:
    case_file = case_files.get_owned(session, principal, case_file_id, Action.manage_upload_codes)
    plaintext = _new_plaintext()
    code = UploadCode(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        prefix=plaintext[:GROUP_LEN],
        code_hash=code_hash(plaintext),
        created_by_id=principal.user_id,
        expires_at=utcnow() + timedelta(days=valid_days),
        files_uploaded=0,
    )
    session.add(code)
    session.flush()
    audit.record(
        session,
        principal,
        "upload_code.issue",
        object_type="case_file",
        object_id=case_file.id,
        detail={"upload_code_id": str(code.id), "expires_at": code.expires_at.isoformat()},
    )
    return IssuedCode(code, display(plaintext))


def list_for_case_file(
    session: Session, principal: Principal, case_file_id: uuid.UUID
) -> list[UploadCode]:
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(
        session, principal, "upload_code.list", object_type="case_file", object_id=case_file.id
    )
    return list(
        session.scalars(
            repository.readable_statement(principal)
            .where(UploadCode.case_file_id == case_file.id)
            .order_by(UploadCode.created_at.desc())
        )
    )


def revoke(session: Session, principal: Principal, code_id: uuid.UUID) -> UploadCode:
    """Revoke a code: 404 unless the caller may read its Akte, 403 ``lent_access`` unless
    they own it (as issuing does)."""
    readable = repository.readable_statement(principal)
    if session.scalar(readable.where(UploadCode.id == code_id)) is None:
        raise NotFound("upload code not found")
    writable = repository.writable_statement(principal)
    code = session.scalar(writable.where(UploadCode.id == code_id))
    if code is None:
        raise Forbidden(
            "access to this Akte is lent (grant or deputy): upload codes are managed by "
            "permanent members of its org unit",
            code="lent_access",
        )
    if code.revoked_at is None:
        code.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            principal,
            "upload_code.revoke",
            object_type="case_file",
            object_id=code.case_file_id,
            detail={"upload_code_id": str(code.id)},
        )
    return code


def upload_link(settings: Settings, plaintext: str) -> str:
    """The link printed on a letter: always under ``AKTE_PUBLIC_URL``, never the Host header
    of whoever asked for the code. The code rides in the fragment (``#code=``), which
    browsers never send, so it appears in no access log, proxy log or Referer; the portal's
    script fills the field from it (``static/portal_code.js``)."""
    return f"{settings.effective_public_url}/upload#code={quote(plaintext, safe='-')}"


def is_usable(code: UploadCode) -> bool:
    return code.revoked_at is None and code.expires_at > utcnow()


def redeem(session: Session, raw: str, *, ip: str | None) -> UploadCode:
    """The usable code for ``raw``; counts failures and refuses once a limit is reached.

    The caller must commit even when this raises ``CodeRefused``: the failure count is
    the point. Web routes therefore answer with a page instead of raising.
    """
    normalized = normalize(raw)
    ip_key = f"code-ip:{ip or 'unknown'}"
    prefix_key = f"code-prefix:{normalized[:GROUP_LEN]}"
    code = None
    if len(normalized) == GROUPS * GROUP_LEN:
        code = session.scalar(
            select(UploadCode).where(UploadCode.code_hash == code_hash(normalized))
        )
    if code is None or not is_usable(code):
        # Only wrong codes wait: a valid code (78 bits, not guessable) is admitted from a
        # blocked address too, so one guesser behind a shared address locks nobody out.
        if ratelimit.is_blocked(session, ip_key, limit=IP_LIMIT) or ratelimit.is_blocked(
            session, prefix_key, limit=PREFIX_LIMIT
        ):
            raise CodeRateLimited("too many attempts")
        ratelimit.record_failure(session, ip_key)
        ratelimit.record_failure(session, prefix_key)
        audit.record(
            session,
            None,
            "upload_code.refused",
            tenant_id=code.tenant_id if code else None,
            outcome="refused",
            ip=ip,
            detail={"prefix": normalized[:GROUP_LEN]},
        )
        raise CodeRefused("unknown, expired or revoked")
    code.last_used_at = utcnow()
    audit.record(
        session,
        None,
        "upload_code.redeem",
        tenant_id=code.tenant_id,
        object_type="case_file",
        object_id=code.case_file_id,
        ip=ip,
        detail={"upload_code_id": str(code.id)},
    )
    return code
