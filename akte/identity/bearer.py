"""Access tokens of a tenant's OpenID Provider as bearer credentials for the API.

A provider configured with ``api_audience`` vouches for API calls too: a client of the same
realm (a command-line tool, a Fachverfahren acting for a person) fetches an access token for
that audience and sends it as ``Authorization: Bearer <JWT>``. The token is accepted when it
is a JWT signed with a key from the provider's JWKS, its ``iss`` is the provider's issuer,
its ``aud`` contains ``api_audience``, it has not expired (60 s leeway), and its ``sub`` is
linked to an akte account through that provider (the person signed in through the web
once, which applied the group mapping). Anything else is simply no credential (401
``invalid_token``), like a forged akte token.

A service account authenticates the same way with the client credentials grant: an OAuth
client registered for it (``/api/v1/identity-providers/{id}/service-clients``) fetches an
access token for itself, and a token whose ``client_id`` (RFC 9068; ``azp`` where the
provider sets only that) names such a client speaks for the service account, whatever its
``sub``. Such a client must be used by that service only: any token issued to it counts as
the service account's. No registered client: the token speaks for the person of its ``sub``
as above, never for a service account.

The provider's keys are cached per issuer for :data:`KEYS_TTL` (an API call must not cost a
round trip to the provider); a token signed with a key not in the cache refetches once, so a
rotated key works at once.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.core.errors import AkteError
from akte.identity import oidc
from akte.identity.models import ExternalIdentity, IdentityProvider, ServiceClient
from akte.identity.schemas import OidcConfig
from akte.users.models import User

KEYS_TTL = 300.0
_keys: dict[str, tuple[float, KeySet]] = {}
_lock = threading.Lock()


def looks_like_jwt(credential: str) -> bool:
    return credential.startswith("eyJ") and credential.count(".") == 2


def _unverified(credential: str) -> dict[str, Any] | None:
    try:
        claims = json.loads(extract_compact(credential.encode()).payload)
    except (JoseError, ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def _providers(session: Session, claims: dict[str, Any]) -> list[IdentityProvider]:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    rows = session.scalars(
        select(IdentityProvider)
        .where(IdentityProvider.kind == "oidc", IdentityProvider.enabled.is_(True))
        .limit(1000)
    )
    return [
        p
        for p in rows
        if (p.config or {}).get("issuer") == claims.get("iss")
        and (p.config or {}).get("api_audience") in audiences
    ]


def _key_set(config: OidcConfig, *, fresh: bool) -> KeySet:
    now = time.monotonic()
    with _lock:
        cached = _keys.get(config.issuer)
    if cached and not fresh and cached[0] > now:
        return cached[1]
    keys = KeySet.import_key_set(oidc.fetch_jwks(oidc.discover(config)))
    with _lock:
        _keys[config.issuer] = (now + KEYS_TTL, keys)
    return keys


def _verify(credential: str, config: OidcConfig) -> dict[str, Any] | None:
    for fresh in (False, True):
        try:
            token = jwt.decode(
                credential, _key_set(config, fresh=fresh), algorithms=oidc.ALGORITHMS
            )
            break
        except (JoseError, ValueError):
            continue
        except (AkteError, TypeError, KeyError):  # provider unreachable or its keys unusable
            return None
    else:
        return None
    claims = dict(token.claims)
    try:
        jwt.JWTClaimsRegistry(
            leeway=oidc.LEEWAY_SECONDS,
            iss={"essential": True, "value": config.issuer},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(claims)
    except JoseError:
        return None
    aud = claims.get("aud")
    return claims if config.api_audience in (aud if isinstance(aud, list) else [aud]) else None


def user_for(session: Session, credential: str) -> tuple[User, bool] | None:
    """The akte account a provider's valid access token speaks for, and whether it came
    through a service account's client (client credentials); ``None`` for no account."""
    claims = _unverified(credential)
    if claims is None:
        return None
    providers = _providers(session, claims)
    if not providers:
        return None
    config = OidcConfig.model_validate(providers[0].config)
    verified = _verify(credential, config)
    if verified is None:
        return None
    provider_ids = [p.id for p in providers]
    client = verified.get("client_id") or verified.get("azp")
    if isinstance(client, str) and client:
        service = session.scalar(
            select(ServiceClient)
            .where(ServiceClient.provider_id.in_(provider_ids), ServiceClient.client_id == client)
            .limit(1)
        )
        if service is not None:
            user = session.get(User, service.user_id)
            return (user, True) if user is not None else None
    link = session.scalar(
        select(ExternalIdentity)
        .where(
            ExternalIdentity.provider_id.in_(provider_ids),
            ExternalIdentity.subject == str(verified["sub"]),
        )
        .limit(1)
    )
    user = session.get(User, link.user_id) if link else None
    return (user, False) if user is not None else None
