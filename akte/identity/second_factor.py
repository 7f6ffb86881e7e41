"""The second factor of local accounts: TOTP (RFC 6238, 30 s, 6 digits) and recovery codes.

A tenant requires it with the option ``second_factor``: ``admins`` (its tenant admins) or
``all`` (every person; service accounts use API keys and are never asked). Anyone may
enrol without being required to; once confirmed, the code is asked for at every password
login (web form and ``POST /api/v1/auth/token``), required or not. Directory logins bring
their own factor (the provider's); LDAP and OpenID Connect logins are not asked here.

Enrolment: :func:`begin` keeps a fresh secret, unconfirmed, and gives the ``otpauth://``
URI for the app (as QR code on the web page); :func:`confirm` with a code from the app
makes it count and returns ten recovery codes, shown once and stored as SHA-256.

Checking (:func:`verify`): a TOTP code of the current step or one step either side, and
newer than the last accepted one (no replay), or an unused recovery code, which is then
used up. Failures are counted by the password throttle (key ``second-factor:<username>``,
per address too), so guessing six digits backs off exactly like guessing passwords.

Secrets are sealed with :func:`akte.core.security.sealing_key` (purpose
``akte.identity.totp``); a changed ``AKTE_SECRET_KEY`` makes them unreadable, and the
affected people need an admin's :func:`reset`.

::

    NotAuthenticated (401)
    ├── SecondFactorRequired (second_factor_required)   the password was right; send the code
    └── SecondFactorInvalid (second_factor_invalid)     wrong, reused or unreadable code
    Forbidden (403)
    └── EnrolmentRequired (second_factor_enrolment_required)  the tenant requires a factor
                                                        the account has not set up yet
    AkteError (400)
    └── CodeMismatch (second_factor_code_mismatch)      the confirming code is wrong
    Conflict (409)
    ├── AlreadyEnrolled (second_factor_enrolled)        reset first
    └── NoPendingEnrolment (no_pending_enrolment)       nothing to confirm: start first
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

import pyotp
from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import throttle
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import AkteError, Conflict, Forbidden, NotAuthenticated
from akte.core.security import sealing_key
from akte.identity.models import RecoveryCode, SecondFactor
from akte.tenants.models import Tenant
from akte.users.models import SERVICE_ROLES, Role, User

PURPOSE = "akte.identity.totp"
ISSUER = "akte"
RECOVERY_CODES = 10
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class SecondFactorRequired(NotAuthenticated):
    code = "second_factor_required"


class SecondFactorInvalid(NotAuthenticated):
    code = "second_factor_invalid"


class EnrolmentRequired(Forbidden):
    code = "second_factor_enrolment_required"


class AlreadyEnrolled(Conflict):
    code = "second_factor_enrolled"


class NoPendingEnrolment(Conflict):
    code = "no_pending_enrolment"


class CodeMismatch(AkteError):
    """The caller is signed in; only the code typed from the app does not match the pending
    factor (409: the request is well formed, the enrolment's state refuses it; not a 401)."""

    status_code = 409
    code = "second_factor_code_mismatch"


def required(session: Session, user: User) -> bool:
    """Whether the user's tenant requires a second factor of them."""
    if user.tenant_id is None or Role(user.role) in SERVICE_ROLES:
        return False
    tenant = session.get(Tenant, user.tenant_id)
    policy = (tenant.options or {}).get("second_factor") if tenant else None
    return policy == "all" or (policy == "admins" and Role(user.role) is Role.tenant_admin)


def factor_of(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> SecondFactor | None:
    """The confirmed factor, or ``None``; ``lock`` holds the row until commit, so two
    logins racing with one code cannot both pass."""
    row = session.get(SecondFactor, user_id, with_for_update=lock or None)
    return row if row is not None and row.confirmed_at is not None else None


def needed(session: Session, user: User) -> str | None:
    """What a password login still lacks: ``"code"`` (enrolled), ``"enrol"`` (required, not
    set up yet) or ``None``."""
    if factor_of(session, user.id) is not None:
        return "code"
    return "enrol" if required(session, user) else None


def _totp(sealed: str, secret_key: str) -> pyotp.TOTP | None:
    try:
        return pyotp.TOTP(sealing_key(secret_key, PURPOSE).decrypt(sealed.encode()).decode())
    except InvalidToken:
        return None


def begin(session: Session, user: User, *, secret_key: str) -> tuple[str, str]:
    """A new unconfirmed secret (replacing an unconfirmed one) and its ``otpauth://`` URI;
    409 when a confirmed factor exists."""
    if factor_of(session, user.id) is not None:
        raise AlreadyEnrolled("a second factor is set up; an admin resets it first")
    secret = pyotp.random_base32()
    row = session.get(SecondFactor, user.id)
    sealed = sealing_key(secret_key, PURPOSE).encrypt(secret.encode()).decode()
    if row is None:
        session.add(SecondFactor(user_id=user.id, secret=sealed))
    else:
        row.secret, row.created_at, row.last_step = sealed, utcnow(), 0
    session.flush()
    return secret, provisioning_uri(secret, user)


def pending(session: Session, user: User, *, secret_key: str) -> tuple[str, str]:
    """The unconfirmed secret and URI, starting one if there is none (login page reloads
    show the same QR code)."""
    row = session.get(SecondFactor, user.id)
    if row is not None and row.confirmed_at is None:
        totp = _totp(row.secret, secret_key)
        if totp is not None:
            return totp.secret, provisioning_uri(totp.secret, user)
    return begin(session, user, secret_key=secret_key)


def provisioning_uri(secret: str, user: User) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _step(totp: pyotp.TOTP, code: str, last_step: int) -> int | None:
    """The time step ``code`` belongs to (now ±1), if newer than ``last_step``."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(code: str) -> str:
    plain = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"akte-recovery:{plain}".encode()).hexdigest()


def _new_recovery_codes(session: Session, user_id: uuid.UUID) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(BASE32) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user_id, code_hash=_hash(raw)))
    session.flush()
    return codes


def confirm(
    session: Session, user: User, code: str, *, secret_key: str, ip: str | None = None
) -> list[str]:
    """Make the pending factor count (a code from the app proves it was scanned); returns
    the recovery codes, in clear this once."""
    row = session.get(SecondFactor, user.id)
    if row is None or row.confirmed_at is not None:
        raise NoPendingEnrolment("no second factor is being set up: start one first")
    totp = _totp(row.secret, secret_key)
    step = _step(totp, code, 0) if totp else None
    if step is None:
        raise CodeMismatch("the code does not match: check the app's clock and retry")
    row.confirmed_at, row.last_step = utcnow(), step
    codes = _new_recovery_codes(session, user.id)
    audit.record(
        session,
        None,
        "user.second_factor_enrol",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        ip=ip,
        detail={"user_id": str(user.id)},
    )
    return codes


def _throttle_key(user: User) -> str:
    return f"second-factor:{user.username}"


def verify(
    session: Session, user: User, code: str | None, *, secret_key: str, ip: str | None, channel: str
) -> None:
    """Accept a TOTP or recovery code of ``user``'s confirmed factor, or raise. Throttled
    and audited like a password; the caller commits even when this raises."""
    factor = factor_of(session, user.id, lock=True)
    if factor is None:
        return
    if not code or not code.strip():
        raise SecondFactorRequired("enter the code from your authenticator app")
    key = _throttle_key(user)
    try:
        throttle.check(session, username=key, ip=ip)
    except throttle.LoginThrottled:
        audit.record(
            session,
            None,
            f"{channel}.second_factor",
            outcome="throttled",
            ip=ip,
            tenant_id=user.tenant_id,
            detail={"user_id": str(user.id)},
        )
        raise
    totp = _totp(factor.secret, secret_key)
    step = _step(totp, code, factor.last_step) if totp else None
    used_recovery = step is None
    if step is not None:
        factor.last_step = step
    else:
        recovery = session.scalar(
            select(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .with_for_update()
        )
        if recovery is None:
            throttle.record_failure(session, username=key, ip=ip)
            audit.record(
                session,
                None,
                f"{channel}.second_factor",
                outcome="refused",
                ip=ip,
                tenant_id=user.tenant_id,
                detail={"user_id": str(user.id)},
            )
            raise SecondFactorInvalid("wrong or already used code")
        recovery.used_at = utcnow()
    throttle.record_success(session, username=key, ip=ip)
    if used_recovery:
        left = session.scalar(
            select(RecoveryCode.id)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .limit(1)
        )
        audit.record(
            session,
            None,
            f"{channel}.recovery_code_used",
            object_type="user",
            object_id=user.id,
            tenant_id=user.tenant_id,
            ip=ip,
            detail={"user_id": str(user.id), "codes_left": left is not None},
        )
    session.flush()


def check_login(
    session: Session, user: User, code: str | None, *, secret_key: str, ip: str | None, channel: str
) -> None:
    """After a right password: the code when enrolled; 403 when the tenant requires a
    factor not set up yet (set up at the web login)."""
    state = needed(session, user)
    if state == "enrol":
        audit.record(
            session,
            None,
            f"{channel}.login",
            outcome="refused",
            ip=ip,
            tenant_id=user.tenant_id,
            detail={"user_id": str(user.id), "reason": "second factor not set up"},
        )
        raise EnrolmentRequired(
            "your tenant requires a second factor: set it up at the web login first"
        )
    if state == "code":
        verify(session, user, code, secret_key=secret_key, ip=ip, channel=channel)


def status(session: Session, user: User) -> dict[str, Any]:
    factor = factor_of(session, user.id)
    left = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return {
        "enrolled": factor is not None,
        "required": required(session, user),
        "confirmed_at": factor.confirmed_at if factor else None,
        "recovery_codes_left": len(left) if factor else 0,
    }


def reset(session: Session, principal: Principal, user_id: uuid.UUID) -> None:
    """An admin removes a person's factor (lost phone, no recovery code left): their next
    password login asks them to set up a new one if the tenant requires it. Tenant admins
    reset only accounts of their tenant (another tenant's: 404); audited."""
    from akte.users import service as users

    principal.require_role(Role.tenant_admin, Role.system_admin)
    user = users.get_administered(session, principal, user_id)
    had = session.get(SecondFactor, user.id) is not None
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
    audit.record(
        session,
        principal,
        "user.second_factor_reset",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        detail={"user_id": str(user.id), "had_factor": had},
    )
