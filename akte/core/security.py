"""Password hashing (argon2), signed bearer tokens and API keys.

Bearer tokens (and the citizen's and the second-factor step's cookies) are ``v2.`` and a
JWT signed with HMAC-SHA256 by ``joserfc``, the JOSE library the OpenID Connect login uses
too; they carry the user id, kind, token generation and expiry only, so a disabled user or
a removed membership takes effect on the next request (the user is reloaded every time).
Expiry is read from akte's clock (:mod:`akte.core.clock`). API keys are 256-bit random values
shown once and stored as their SHA-256: a slow hash adds nothing to a key that cannot be
guessed, and lookups stay O(1).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from akte.core import legacy_tokens
from akte.core.clock import CLOCK

_hasher = PasswordHasher()
API_KEY_PREFIX = "akte_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


TOKEN_PREFIX = "v2."  # noqa: S105 (a format marker, not a secret)
#: Only HMAC-SHA256: a token header naming another algorithm (``none``, RS256 with the
#: secret as a "public key") is refused before any signature is checked.
TOKEN_ALGORITHMS = ["HS256"]


def _token_key(secret: str) -> OctKey:
    """The signing key of akte's own tokens, derived from the secret key for this one
    purpose (as :func:`sealing_key` is), so a token's MAC is never also another value's."""
    return OctKey.import_key(hashlib.sha256(f"token:{secret}".encode()).digest())


def _now() -> int:
    return int(CLOCK.now().timestamp())


def issue_token(
    secret: str, *, subject: str, ttl_seconds: int, kind: str = "user", generation: int = 0
) -> str:
    """A signed token for ``subject``; ``generation`` is the user's token generation at
    issue, so raising it (password change, "log out everywhere") revokes the token.

    ``v2.`` and a JWT (RFC 7519, HS256, signed with ``joserfc``): the prefix tells akte's
    tokens from an OpenID Provider's JWT access tokens (:mod:`akte.identity.bearer`) without
    parsing, and ``kind`` keeps a citizen's portal token from ever being a staff token."""
    now = _now()
    claims = {"sub": subject, "iat": now, "exp": now + ttl_seconds, "kind": kind, "gen": generation}
    return TOKEN_PREFIX + jwt.encode({"alg": "HS256"}, claims, _token_key(secret))


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    generation: int
    #: Unix time at which the token stops being accepted.
    expires_at: int = 0


_REGISTRY = jwt.JWTClaimsRegistry(
    now=_now, leeway=0, sub={"essential": True}, exp={"essential": True}
)


def read_token_claims(secret: str, token: str, *, kind: str = "user") -> TokenClaims | None:
    """The claims of a valid token; ``None`` when it is malformed, forged, expired or of
    another kind. A correctly signed payload of the wrong shape is malformed too: the
    signing key may have signed something else, and a caller gets 401, never 500.

    Tokens of the previous release (``v1.``) are read until they expire
    (:mod:`akte.core.legacy_tokens`); none is issued any more."""
    if token.startswith(legacy_tokens.PREFIX):
        legacy = legacy_tokens.read(secret, token, kind=kind, now=_now())
        return TokenClaims(*legacy) if legacy else None
    if not token.startswith(TOKEN_PREFIX):
        return None
    try:
        claims = jwt.decode(
            token[len(TOKEN_PREFIX) :], _token_key(secret), algorithms=TOKEN_ALGORITHMS
        ).claims
        _REGISTRY.validate(claims)
    except (JoseError, ValueError, TypeError, UnicodeError):
        return None
    subject, exp, generation = claims.get("sub"), claims.get("exp"), claims.get("gen", 0)
    if claims.get("kind") != kind or not isinstance(subject, str):
        return None
    if type(exp) is not int or type(generation) is not int:
        return None
    return TokenClaims(subject, generation, exp)


def read_token(secret: str, token: str, *, kind: str = "user") -> str | None:
    """The token's subject, or ``None`` when it is malformed, forged, expired or of another kind."""
    claims = read_token_claims(secret, token, kind=kind)
    return claims.subject if claims else None


@dataclass(frozen=True)
class NewApiKey:
    plaintext: str
    prefix: str
    key_hash: str


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(4)
    plaintext = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(plaintext, prefix, hash_api_key(plaintext))


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def sealing_key(secret: str, purpose: str) -> Fernet:
    """A Fernet key for secrets akte must read back (refresh tokens, TOTP secrets), derived
    from the secret key and a ``purpose`` so one purpose's ciphertext is useless to another.
    Rotating the secret key makes all of them unreadable: sessions end, factors re-enrol."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
