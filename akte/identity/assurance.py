"""A second factor for directory logins: the provider's word for it (``acr``/``amr``).

akte cannot ask a directory account for its own TOTP code (it has none in akte), so a tenant
that wants home-office access only with a second factor asks its provider for it (tenant
option ``directory_second_factor``: ``admins`` or ``all``) and akte checks the ID token's
``acr`` (authentication context class) and ``amr`` (methods, RFC 8176) against the
provider's settings ``mfa_acr_values`` and ``mfa_amr_values``: one matching value in either
is enough. ``admins`` covers logins whose group mapping makes the person a tenant admin.

The check runs before the account is created or brought up to date, so a refused login
changes nothing but the audit log (``sso.login``, ``error=sso_second_factor_missing``).
An LDAP bind cannot show a second factor: where the requirement covers the login, it is
refused (fail closed).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from akte.core.errors import Forbidden
from akte.identity import mapping
from akte.identity.models import IdentityProvider
from akte.identity.schemas import OidcConfig
from akte.tenants.models import Tenant
from akte.users.models import Role


class SecondFactorMissing(Forbidden):
    """403: the provider vouched for the person, but not for a second factor the tenant
    requires. The detail is German: it is what the person reads on the error page."""

    code = "sso_second_factor_missing"


def requirement(session: Session, tenant_id: uuid.UUID) -> str | None:
    """The tenant's ``directory_second_factor`` (``admins``, ``all``) or ``None``."""
    tenant = session.get(Tenant, tenant_id)
    return (tenant.options or {}).get("directory_second_factor") if tenant else None


def required(session: Session, provider: IdentityProvider, groups: list[str]) -> bool:
    """Whether this login (by the groups the person brings) needs a second factor."""
    wanted = requirement(session, provider.tenant_id)
    if wanted == "all":
        return True
    if wanted == "admins":
        access = mapping.resolve(
            mapping.mappings_of(session, provider.id), mapping.clean_groups(groups)
        )
        return access is not None and access.role is Role.tenant_admin
    return False


def satisfied(config: OidcConfig, acr: str | None, amr: list[str]) -> bool:
    """One acceptable ``acr`` or one ``amr`` method that counts as a second factor."""
    if acr is not None and acr in config.mfa_acr_values:
        return True
    return bool(set(amr) & set(config.mfa_amr_values))


def enforce_ldap(session: Session, provider: IdentityProvider, *, groups: list[str]) -> None:
    """An LDAP bind proves a password only: where the tenant requires a second factor for
    this login, it is refused (fail closed) rather than let in without one."""
    if required(session, provider, groups):
        raise SecondFactorMissing(
            "Ihre Behörde verlangt für diese Anmeldung einen zweiten Faktor; die Anmeldung "
            "über LDAP kann keinen nachweisen. Bitte über den OpenID-Connect-Anmeldedienst "
            "anmelden oder an die Administration wenden."
        )


def enforce(
    session: Session,
    provider: IdentityProvider,
    *,
    groups: list[str],
    acr: str | None,
    amr: list[str],
) -> None:
    """Refuse (``SecondFactorMissing``) a login the tenant requires a second factor for
    and the ID token does not show one."""
    if not required(session, provider, groups):
        return
    config = OidcConfig.model_validate(provider.config)
    if satisfied(config, acr, amr):
        return
    shown = f"acr {acr!r}" if acr else "kein acr"
    shown += f", amr {', '.join(amr)}" if amr else ", kein amr"
    raise SecondFactorMissing(
        "Ihre Behörde verlangt für diese Anmeldung einen zweiten Faktor; der Anmeldedienst "
        f"hat keinen bestätigt ({shown}). Bitte dort mit zweitem Faktor (z. B. "
        "Authenticator-App) erneut anmelden oder an die Administration wenden."
    )
