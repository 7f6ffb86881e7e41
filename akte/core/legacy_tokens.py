"""Reading the bearer tokens and cookies signed by the previous release (``v1.``), so an
upgrade logs nobody out: API clients keep their tokens, citizens their portal session.

The previous release signed ``v1.<payload>.<signature>`` itself (HMAC-SHA256 over the
base64 payload); this release issues ``v2.`` JWTs (:mod:`akte.core.security`) and only
reads ``v1.`` until the last of them has expired — at most ``AKTE_TOKEN_TTL_SECONDS``
(8 hours by default) after the upgrade. The next release deletes this module (the
"contract" step of docs/OPERATIONS.md); a ``v1.`` token then gets 401 like any unknown one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

PREFIX = "v1."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def read(secret: str, token: str, *, kind: str, now: int) -> tuple[str, int, int] | None:
    """Subject, token generation and expiry of a valid ``v1.`` token; ``None`` when
    malformed, forged, expired or of another kind (a correctly signed payload of the wrong
    shape is malformed too)."""
    try:
        version, payload, signature = token.split(".")
    except ValueError:
        return None
    expected = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if version != "v1" or not hmac.compare_digest(
        expected.encode(), signature.encode("utf-8", "replace")
    ):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    subject, exp, generation = data.get("sub"), data.get("exp"), data.get("g", 0)
    if data.get("k") != kind or not isinstance(subject, str):
        return None
    if type(exp) is not int or type(generation) is not int or exp < now:
        return None
    return subject, generation, exp
