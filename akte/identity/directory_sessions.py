"""Web sessions that follow the provider's session: re-checked with the refresh token.

A staff session started by an OpenID Connect login is bound to the provider's refresh
token (kept here, Fernet-encrypted with a key derived from ``AKTE_SECRET_KEY``). At most
every ``session_check_seconds`` of the provider, the next page request asks the provider
to refresh it. The provider refuses when the person was disabled or deleted there, or
their session there ended (logout at the provider, an admin's "sign out"): the akte
session ends at once (:func:`akte.web.deps.get_staff`) and the refusal is audited (``sso.session_ended``). A switched-off
provider ends its sessions the same way. When the provider cannot be reached the session
goes on and is checked again at the next request: an outage of the provider does not
throw everyone out.
"""

from __future__ import annotations

import logging
import uuid

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.database import utcnow
from akte.core.errors import ServiceUnavailable
from akte.core.security import sealing_key
from akte.identity import oidc
from akte.identity.errors import SsoRefused
from akte.identity.models import DirectorySession, IdentityProvider
from akte.identity.schemas import OidcConfig

log = logging.getLogger("akte.identity")


def _fernet(secret: str) -> Fernet:
    return sealing_key(secret, "akte.identity.refresh-token")


def bind(
    session: Session,
    *,
    web_session_hash: str,
    provider: IdentityProvider,
    user_id: uuid.UUID,
    result: oidc.OidcResult,
    secret: str,
) -> None:
    token = result.refresh_token
    session.add(
        DirectorySession(
            web_session_hash=web_session_hash,
            provider_id=provider.id,
            user_id=user_id,
            sid=result.sid,
            refresh_token=_fernet(secret).encrypt(token.encode()).decode() if token else None,
        )
    )
    session.flush()


def _end(
    session: Session,
    row: DirectorySession,
    provider: IdentityProvider | None,
    reason: str,
    ip: str | None,
) -> None:
    session.delete(row)
    audit.record(
        session,
        None,
        "sso.session_ended",
        object_type="user",
        object_id=row.user_id,
        tenant_id=provider.tenant_id if provider else None,
        ip=ip,
        detail={"provider_id": str(row.provider_id), "reason": reason[:300]},
    )
    session.flush()


def still_valid(session: Session, *, web_session_hash: str, secret: str, ip: str | None) -> bool:
    """False when the provider no longer vouches for the session: the binding is gone and
    the refusal audited; the caller ends the web session, commits, and sends the browser
    to the login page."""
    row = session.get(DirectorySession, web_session_hash)
    if row is None:
        return True  # a password or LDAP session
    provider = session.get(IdentityProvider, row.provider_id)
    if provider is None or not provider.enabled:
        _end(session, row, provider, "the identity provider was switched off", ip)
        return False
    every = OidcConfig.model_validate(provider.config).session_check_seconds
    if row.refresh_token is None or (utcnow() - row.checked_at).total_seconds() < every:
        return True
    fernet = _fernet(secret)
    try:
        current = fernet.decrypt(row.refresh_token.encode()).decode()
    except InvalidToken:
        _end(session, row, provider, "the stored refresh token cannot be read", ip)
        return False
    try:
        rotated = oidc.refresh(provider, current)
    except SsoRefused as exc:
        _end(session, row, provider, exc.detail, ip)
        return False
    except ServiceUnavailable as exc:
        log.warning("session check at provider %s skipped: %s", provider.id, exc.detail)
        return True
    if rotated:
        row.refresh_token = fernet.encrypt(rotated.encode()).decode()
    row.checked_at = utcnow()
    session.flush()
    return True
