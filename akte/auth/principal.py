"""The authenticated caller and the permission checks every service applies.

Access to case data is need-to-know: a caseworker reads the Akten of the org units they
hold an unexpired membership in, within their own tenant. Tenant admins administer their
tenant but read case data only through such memberships too. A thing the caller may not
see raises ``NotFound``: to them it does not exist.
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

    def can_read_case_data(
        self, tenant_id: uuid.UUID, org_unit_id: uuid.UUID, case_file_id: uuid.UUID | None = None
    ) -> bool:
        return (
            self.role in {Role.caseworker, Role.tenant_admin}
            and self.tenant_id == tenant_id
            and (org_unit_id in self.org_unit_ids or case_file_id in self.granted_case_file_ids)
        )

    def require_case_access(
        self,
        tenant_id: uuid.UUID,
        org_unit_id: uuid.UUID,
        case_file_id: uuid.UUID | None = None,
        what: str = "Akte",
    ) -> None:
        if not self.can_read_case_data(tenant_id, org_unit_id, case_file_id):
            raise NotFound(f"{what} not found")
