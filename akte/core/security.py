"""Password hashing (argon2), signed bearer tokens and API keys.

Bearer tokens are ``v1.<payload>.<signature>`` with an HMAC-SHA256 over the payload; they
carry the user id and expiry only, so a disabled user or a removed membership takes effect
on the next request (the user is reloaded every time). API keys are 256-bit random values
shown once and stored as their SHA-256: a slow hash adds nothing to a key that cannot be
guessed, and lookups stay O(1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    secret: str, *, subject: str, ttl_seconds: int, kind: str = "user", generation: int = 0
) -> str:
    """A signed token for ``subject``; ``generation`` is the user's token generation at
    issue, so raising it (password change, "log out everywhere") revokes the token."""
    payload = _b64(
        json.dumps(
            {"sub": subject, "exp": int(time.time()) + ttl_seconds, "k": kind, "g": generation}
        ).encode()
    )
    signature = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    return f"v1.{payload}.{signature}"


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    generation: int
    #: Unix time at which the token stops being accepted.
    expires_at: int = 0


def read_token_claims(secret: str, token: str, *, kind: str = "user") -> TokenClaims | None:
    """The claims of a valid token; ``None`` when it is malformed, forged, expired or of
    another kind. A correctly signed payload of the wrong shape is malformed too: the
    signing key may have signed something else, and a caller gets 401, never 500."""
    try:
        version, payload, signature = token.split(".")
    except ValueError:
        return None
    if version != "v1":
        return None
    expected = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    subject, exp, generation = data.get("sub"), data.get("exp"), data.get("g", 0)
    if data.get("k") != kind or not isinstance(subject, str):
        return None
    if type(exp) is not int or type(generation) is not int or exp < time.time():
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
