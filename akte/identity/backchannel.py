"""OpenID Connect back-channel logout: the provider tells akte that a session ended there.

The provider POSTs a signed logout token (``logout_token``, a JWT) to
``AKTE_PUBLIC_URL/sso/backchannel-logout``. Its ``iss`` and ``aud`` name the provider; the
token is then checked against that provider's JWKS (signature, ``iss``, ``aud``, ``iat``,
the back-channel-logout event, no ``nonce``, a ``sid`` or ``sub``). Every akte web session
bound to that provider session (``sid``) or, without ``sid``, to that person (``sub``)
ends at once. A token for a session akte does not know is accepted and ends nothing
(logout is idempotent); a token that fails a check is refused (400) and audited.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.errors import AkteError
from akte.identity import oidc
from akte.identity.models import DirectorySession, ExternalIdentity, IdentityProvider
from akte.identity.schemas import OidcConfig

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class LogoutTokenInvalid(AkteError):
    code = "invalid_request"  # the error code RFC-style back-channel receivers answer with


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        claims = json.loads(extract_compact(token.encode()).payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise LogoutTokenInvalid("the logout token is not a JWT") from exc
    if not isinstance(claims, dict):
        raise LogoutTokenInvalid("the logout token is not a JWT")
    return claims


def _providers(session: Session, claims: dict[str, Any]) -> list[IdentityProvider]:
    """The enabled providers of that issuer and client (several tenants may share one
    realm and client)."""
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    candidates = session.scalars(
        select(IdentityProvider)
        .where(IdentityProvider.kind == "oidc", IdentityProvider.enabled.is_(True))
        .limit(1000)
    )
    found = [
        p
        for p in candidates
        if (p.config or {}).get("issuer") == claims.get("iss")
        and (p.config or {}).get("client_id") in audiences
    ]
    if not found:
        raise LogoutTokenInvalid("the logout token's issuer and audience name no provider here")
    return found


def logout(session: Session, logout_token: str, *, ip: str | None) -> list[str]:
    """End the web sessions the logout token names; returns their hashes (the caller
    deletes them and commits)."""
    provider = None
    try:
        claims = _unverified_claims(logout_token)
        providers = _providers(session, claims)
        provider = providers[0]
        config = OidcConfig.model_validate(provider.config)
        doc = oidc.discover(config)
        jwks = oidc.fetch_jwks(doc)
        try:
            token = jwt.decode(
                logout_token, KeySet.import_key_set(jwks), algorithms=oidc.ALGORITHMS
            )
            jwt.JWTClaimsRegistry(
                leeway=oidc.LEEWAY_SECONDS,
                iss={"essential": True, "value": config.issuer},
                iat={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise LogoutTokenInvalid(
                f"the logout token is not valid ({type(exc).__name__})"
            ) from exc
        claims = dict(token.claims)
        events = claims.get("events")
        if not isinstance(events, dict) or LOGOUT_EVENT not in events or "nonce" in claims:
            raise LogoutTokenInvalid("the token is no back-channel logout token")
        sid, sub = claims.get("sid"), claims.get("sub")
        if not sid and not sub:
            raise LogoutTokenInvalid("the logout token names neither sid nor sub")
    except AkteError as exc:
        audit.record(
            session,
            None,
            "sso.backchannel_logout",
            outcome="refused",
            ip=ip,
            tenant_id=provider.tenant_id if provider else None,
            detail={
                "provider_id": str(provider.id) if provider else None,
                "reason": exc.detail[:300],
            },
        )
        raise
    by_id = {p.id: p for p in providers}
    stmt = select(DirectorySession).where(DirectorySession.provider_id.in_(by_id))
    if sid:
        stmt = stmt.where(DirectorySession.sid == str(sid))
    else:
        stmt = stmt.where(
            DirectorySession.user_id.in_(
                select(ExternalIdentity.user_id).where(
                    ExternalIdentity.provider_id.in_(by_id), ExternalIdentity.subject == str(sub)
                )
            )
        )
    rows = session.scalars(stmt.limit(1000)).all()
    for row in rows:
        owner = by_id[row.provider_id]
        audit.record(
            session,
            None,
            "sso.backchannel_logout",
            object_type="user",
            object_id=row.user_id,
            tenant_id=owner.tenant_id,
            ip=ip,
            detail={"provider_id": str(owner.id), "sid": row.sid},
        )
    return [row.web_session_hash for row in rows]


def frontchannel_logout(
    session: Session, *, iss: str | None, sid: str | None, ip: str | None
) -> list[str]:
    """OpenID Connect front-channel logout: the provider's logout page loads
    ``/sso/frontchannel-logout?iss=…&sid=…`` in a hidden frame. The request is unsigned
    and the frame carries no akte cookie (``SameSite=Lax``), so what it names is all there
    is: the web sessions bound to that provider session (``sid`` of the ID token) of the
    enabled providers of that issuer end. The ``sid`` is the provider's random secret;
    without ``iss`` and ``sid`` nothing ends (400). Returns the hashes to delete."""
    if not iss or not sid or len(iss) > 500 or len(sid) > 200:
        audit.record(
            session,
            None,
            "sso.frontchannel_logout",
            outcome="refused",
            ip=ip,
            detail={"reason": "iss and sid are required"},
        )
        raise LogoutTokenInvalid("front-channel logout needs iss and sid")
    providers = [
        p
        for p in session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.kind == "oidc", IdentityProvider.enabled.is_(True))
            .limit(1000)
        )
        if (p.config or {}).get("issuer") == iss.rstrip("/")
    ]
    by_id = {p.id: p for p in providers}
    rows = (
        session.scalars(
            select(DirectorySession)
            .where(DirectorySession.provider_id.in_(by_id), DirectorySession.sid == sid)
            .limit(1000)
        ).all()
        if by_id
        else []
    )
    for row in rows:
        owner = by_id[row.provider_id]
        audit.record(
            session,
            None,
            "sso.frontchannel_logout",
            object_type="user",
            object_id=row.user_id,
            tenant_id=owner.tenant_id,
            ip=ip,
            detail={"provider_id": str(owner.id), "sid": row.sid},
        )
    return [row.web_session_hash for row in rows]
