"""Scopes of service-account API keys: what a key restricted to named scopes may call.

A scope is ``<area>:read`` or ``<area>:write``; the area is the first path segment after
``/api/v1/`` (``outbox``, ``deliveries``, ``case-files``, ``documents``, ``auth`` …),
``read`` covers GET and HEAD, ``write`` every method (it includes reading). A key without
scopes (``None``) may do whatever its account's role may; a key with scopes may do only
that, on top of the role's checks, and every other call is refused (403
``scope_missing``). The role still decides: a scope never grants what the role lacks.
"""

from __future__ import annotations

import re

from akte.core.errors import Forbidden

PREFIX = "/api/v1/"
SCOPE = re.compile(r"^[a-z][a-z0-9-]{0,40}:(read|write)$")
READ_METHODS = frozenset({"GET", "HEAD"})


class ScopeMissing(Forbidden):
    code = "scope_missing"


def area_of(path: str) -> str:
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else path.lstrip("/")
    return rest.split("/", 1)[0]


def allows(scopes: frozenset[str], method: str, path: str) -> bool:
    area = area_of(path)
    if f"{area}:write" in scopes:
        return True
    return method.upper() in READ_METHODS and f"{area}:read" in scopes


def require(scopes: frozenset[str] | None, method: str, path: str) -> None:
    """Refuse a call outside the key's scopes (keys without scopes pass)."""
    if scopes is None or allows(scopes, method, path):
        return
    needed = f"{area_of(path)}:{'read' if method.upper() in READ_METHODS else 'write'}"
    raise ScopeMissing(
        f"this API key is limited to {', '.join(sorted(scopes)) or 'nothing'}; "
        f"this call needs {needed}"
    )
