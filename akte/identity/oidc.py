"""OpenID Connect authorization-code login with PKCE, akte being a confidential client.

The browser sees only the authorization request and the ``code``: the provider's tokens are
fetched by the server (client secret, PKCE verifier) and never reach the browser. The
``state`` is bound to the browser by a cookie and to the server by a one-use row that also
keeps the nonce and the PKCE verifier; a second use of the same callback finds no row.

The ID token is checked with ``joserfc`` against the provider's published keys: signature,
``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp``/``iat`` (60 s
leeway) and ``nonce``. Provider documents are fetched per login (discovery, JWKS): logins
are rare, and a rotated key or endpoint takes effect at once without a cache to empty.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy import delete
from sqlalchemy.orm import Session

from akte.core.database import utcnow
from akte.identity.errors import (
    ProviderMisconfigured,
    ProviderUnavailable,
    SsoRefused,
    SsoStateInvalid,
)
from akte.identity.login import DirectoryUser
from akte.identity.models import IdentityProvider, OidcLoginState
from akte.identity.schemas import OidcConfig

STATE_TTL = timedelta(minutes=10)
TIMEOUT = 10.0  # seconds, for connecting, reading, writing and the pool alike
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 60


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process, as httpx builds it (its CA bundle, ``SSL_CERT_FILE``):
    building one reads and parses the whole CA bundle, 20-30 ms of CPU, and a bare
    ``httpx.get`` builds one per call, three or four per sign-in."""
    import httpx  # here: only sign-ins need it, and it costs every app process 0.15 s

    return httpx.create_ssl_context()


def _get_json(url: str, what: str) -> dict[str, Any]:
    import httpx

    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False, verify=_tls())
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(
            f"the OpenID Provider cannot be reached for its {what} ({type(exc).__name__}: {url})"
        ) from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(
            f"the OpenID Provider answered HTTP {response.status_code} for its {what} ({url})"
        )
    if response.status_code != 200:
        raise ProviderMisconfigured(
            f"no {what} at {url} (HTTP {response.status_code}): check the configured issuer"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderMisconfigured(f"the {what} at {url} is not JSON") from exc
    if not isinstance(body, dict):
        raise ProviderMisconfigured(f"the {what} at {url} is not a JSON object")
    return body


def fetch_jwks(doc: dict[str, Any]) -> KeySetSerialization:
    """The provider's published signing keys (JSON as sent: ``KeySet.import_key_set``
    checks its shape, and a set it cannot read is the provider's misconfiguration)."""
    return cast("KeySetSerialization", _get_json(doc["jwks_uri"], "signing keys"))


def discover(config: OidcConfig) -> dict[str, Any]:
    """The provider's metadata, checked against the configuration (issuer, endpoints, S256)."""
    doc = _get_json(f"{config.issuer}/.well-known/openid-configuration", "OpenID configuration")
    if doc.get("issuer") != config.issuer:
        raise ProviderMisconfigured(
            f"the provider names itself {doc.get('issuer')!r}, not the configured issuer "
            f"{config.issuer!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str):
            raise ProviderMisconfigured(f"the provider's OpenID configuration lacks {key}")
    if "S256" not in doc.get("code_challenge_methods_supported", ["S256"]):
        raise ProviderMisconfigured("the provider does not support PKCE with S256")
    return doc


@dataclass(frozen=True)
class OidcResult:
    person: DirectoryUser
    #: The provider's session id and refresh token: kept on the server to re-check the
    #: session (:mod:`akte.identity.directory_sessions`); either may be absent.
    sid: str | None
    refresh_token: str | None
    #: How the person authenticated at the provider (ID token ``acr``, ``amr``), checked
    #: against the tenant's second-factor requirement (:mod:`akte.identity.assurance`).
    acr: str | None = None
    amr: tuple[str, ...] = ()


def _token_request(
    provider: IdentityProvider, config: OidcConfig, token_endpoint: str, data: dict[str, str]
) -> dict[str, Any]:
    """The token endpoint's answer to ``data`` (client_secret_basic, RFC 6749 §2.3.1)."""
    import httpx

    try:
        response = httpx.post(
            token_endpoint,
            timeout=TIMEOUT,
            verify=_tls(),
            auth=(quote(config.client_id, safe=""), quote(provider.client_secret or "", safe="")),
            data=data,
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(
            f"the provider's token endpoint cannot be reached ({type(exc).__name__})"
        ) from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(
            f"the provider's token endpoint answered HTTP {response.status_code}"
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error") if response.status_code != 200 else None
    if error in ("invalid_client", "unauthorized_client") or response.status_code == 401:
        raise ProviderMisconfigured(
            f"the provider refused akte's client credentials ({error or 'HTTP 401'}): check "
            "client id and secret"
        )
    if response.status_code != 200:
        raise SsoRefused(
            f"the provider refused the grant ({str(error)[:100] or response.status_code})"
        )
    return body


def begin(
    session: Session,
    provider: IdentityProvider,
    *,
    redirect_uri: str,
    next_path: str,
    acr_values: list[str] | None = None,
) -> tuple[str, str]:
    """The provider's authorization URL to send the browser to, and the ``state`` the
    browser must bring back (the caller puts it in a cookie). ``acr_values`` asks the
    provider for that level of authentication (a second factor)."""
    config = OidcConfig.model_validate(provider.config)
    doc = discover(config)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    session.execute(delete(OidcLoginState).where(OidcLoginState.expires_at <= utcnow()))
    session.add(
        OidcLoginState(
            state_hash=_hash(state),
            provider_id=provider.id,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            expires_at=utcnow() + STATE_TTL,
        )
    )
    session.flush()
    url = prepare_grant_uri(
        doc["authorization_endpoint"],
        config.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=config.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),  # type: ignore[no-untyped-call]  # types-Authlib leaves it unannotated
        code_challenge_method="S256",
        **({"acr_values": " ".join(acr_values)} if acr_values else {}),
    )
    return url, state


def take_state(session: Session, *, state: str | None, cookie_state: str | None) -> OidcLoginState:
    """The pending login of this callback, removed so it cannot be used twice."""
    if not state or not cookie_state or not secrets.compare_digest(state, cookie_state):
        raise SsoStateInvalid(
            "this login answer does not belong to a login started in this "
            "browser; start the login again"
        )
    row = session.get(OidcLoginState, _hash(state))
    if row is None:
        raise SsoStateInvalid("this login was already completed or is unknown; start again")
    session.delete(row)
    session.flush()
    if row.expires_at <= utcnow():
        raise SsoStateInvalid("this login took longer than 10 minutes; start again")
    return row


def finish(
    provider: IdentityProvider,
    pending: OidcLoginState,
    *,
    code: str | None,
    error: str | None,
    redirect_uri: str,
) -> OidcResult:
    """Exchange the code, check the ID token, and say who signed in."""
    if error:
        raise SsoRefused(f"the provider refused the login ({error[:100]})")
    if not code:
        raise SsoStateInvalid("the provider's answer has no authorization code")
    config = OidcConfig.model_validate(provider.config)
    doc = discover(config)
    token = _token_request(
        provider,
        config,
        doc["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.code_verifier,
        },
    )
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderMisconfigured("the provider sent no ID token (scope openid missing?)")
    claims = verify_id_token(
        id_token,
        jwks=fetch_jwks(doc),
        config=config,
        nonce=pending.nonce,
        now=int(utcnow().timestamp()),
    )
    username = claims.get(config.username_claim)
    if not isinstance(username, str) or not username.strip():
        raise SsoRefused(
            f"the ID token has no {config.username_claim!r} claim to name the "
            "user (check the username claim)"
        )
    display = claims.get(config.display_name_claim)
    person = DirectoryUser(
        subject=str(claims["sub"]),
        username=username.strip(),
        display_name=display if isinstance(display, str) else username,
        groups=claims.get(config.groups_claim) or [],
    )
    refresh_token = token.get("refresh_token")
    sid = claims.get("sid")
    acr, amr = claims.get("acr"), claims.get("amr")
    return OidcResult(
        person,
        sid=sid[:200] if isinstance(sid, str) else None,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        acr=acr[:300] if isinstance(acr, str) else None,
        amr=tuple(m[:100] for m in amr[:20] if isinstance(m, str)) if isinstance(amr, list) else (),
    )


def refresh(provider: IdentityProvider, refresh_token: str) -> str | None:
    """Ask the provider whether the session still stands: the rotated refresh token (or
    ``None`` if it keeps the old one valid); ``SsoRefused`` when the provider says no (user
    disabled or deleted, session ended there)."""
    config = OidcConfig.model_validate(provider.config)
    doc = discover(config)
    token = _token_request(
        provider,
        config,
        doc["token_endpoint"],
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
    )
    new = token.get("refresh_token")
    return new if isinstance(new, str) else None


def verify_id_token(
    id_token: str,
    *,
    jwks: KeySetSerialization,
    config: OidcConfig,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The claims of a valid ID token for this client and login; ``SsoRefused`` naming the
    first check that fails."""
    try:
        keys = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderMisconfigured("the provider's signing keys cannot be read") from exc
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(
            f"the ID token is not validly signed by the provider ({type(exc).__name__})"
        ) from exc
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": config.issuer},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise SsoRefused(
            f"the ID token is not valid for this login ({exc.error}: {exc.description})"
        ) from exc
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if config.client_id not in audiences:
        raise SsoRefused(f"the ID token was issued to {audience!r}, not to akte's client")
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise SsoRefused("the ID token names several audiences but not akte as azp")
    return claims
