"""The authenticated caller and the permission checks every service applies.

Access to case data is need-to-know: a caseworker reads the Akten of the org units they
hold an unexpired membership in, within their own tenant. Tenant admins administer their
tenant but read case data only through such memberships too. A thing the caller may not
see raises ``NotFound``: to them it does not exist.

Which rows a principal may read or change is not decided here but by one statement per
aggregate (``readable_statement``/``writable_statement`` in the repositories), built on
the clauses of :mod:`akte.auth.permissions`, which also says what a grant or a deputy
membership lends and what needs a permanent membership.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from akte.core.errors import Forbidden, NotFound
from akte.users.models import Role


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    role: Role
    tenant_id: uuid.UUID | None
    org_unit_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    #: Single Akten shared with the caller beyond their org units (unexpired grants).
    granted_case_file_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    ip: str | None = None
    #: The API key's scopes (:mod:`akte.auth.scopes`); ``None``: not limited beyond the role.
    scopes: frozenset[str] | None = None

    @property
    def is_service_account(self) -> bool:
        return self.role in {Role.importer, Role.print_provider}

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role.value} may not do this")

    def require_tenant(self, tenant_id: uuid.UUID) -> None:
        """Things of another tenant do not exist for the caller (system admins excepted)."""
        if self.role is Role.system_admin:
            return
        if self.tenant_id != tenant_id:
            raise NotFound("not found")
