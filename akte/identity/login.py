"""What every directory login ends in, OpenID Connect or LDAP: the akte account of the
person, created or brought up to date, or a refusal that is audited.

Accounts and local passwords: a directory account has no password in akte. The first login
of a directory subject links it to an akte account: a new one, or an existing *caseworker*
account of the same tenant with the same username, whose password is then removed (it
follows the directory from now on). Any other account of that name (an admin, another
tenant's person, a service account) is never taken over: ``account_conflict``. A tenant
keeps local accounts for break-glass admin access and can switch local logins of everyone
else off (tenant option ``local_login``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.database import utcnow
from akte.core.errors import AkteError
from akte.identity import mapping
from akte.identity.errors import AccountConflict, NoMappedGroup, SsoRefused
from akte.identity.models import ExternalIdentity, IdentityProvider
from akte.users.models import Role, User


@dataclass(frozen=True)
class DirectoryUser:
    """What the directory says about the person who just proved who they are."""

    subject: str
    username: str
    display_name: str
    groups: list[str] = field(default_factory=list)


def refused(
    session: Session,
    provider: IdentityProvider | None,
    exc: AkteError,
    *,
    ip: str | None,
    channel: str,
    username: str | None = None,
) -> None:
    """Audit a failed directory login (the caller commits, then raises ``exc``)."""
    audit.record(
        session,
        None,
        "sso.login",
        tenant_id=provider.tenant_id if provider else None,
        outcome="refused",
        ip=ip,
        detail={
            "provider_id": str(provider.id) if provider else None,
            "channel": channel,
            "error": exc.code,
            "reason": exc.detail[:300],
            "username": (username or "")[:120] or None,
        },
    )


def _take_over(session: Session, provider: IdentityProvider, person: DirectoryUser) -> User:
    user = session.scalar(select(User).where(User.username == person.username))
    if user is None:
        user = User(
            tenant_id=provider.tenant_id,
            username=person.username,
            display_name=person.display_name or person.username,
            role=Role.caseworker.value,
            password_hash=None,
        )
        session.add(user)
        session.flush()
        return user
    linked = session.scalar(select(ExternalIdentity.id).where(ExternalIdentity.user_id == user.id))
    if (
        user.tenant_id != provider.tenant_id
        or user.role != Role.caseworker.value
        or linked is not None
    ):
        raise AccountConflict(
            f"the username {person.username!r} belongs to another akte account; an "
            "administrator must rename or remove it first"
        )
    user.password_hash = None
    return user


def complete(
    session: Session,
    provider: IdentityProvider,
    person: DirectoryUser,
    *,
    ip: str | None,
    channel: str,
) -> User:
    """The akte account for ``person``, with role and memberships from the mapping.

    Raises ``NoMappedGroup`` (and ends an existing account's access) when no group maps,
    ``AccountConflict`` or ``SsoRefused`` (account disabled in akte). Never commits.
    """
    username = person.username.strip()
    if not username or len(username) > 120:
        raise SsoRefused("the provider sent no usable username (check the username claim)")
    person = DirectoryUser(
        person.subject, username, person.display_name[:200], mapping.clean_groups(person.groups)
    )
    access = mapping.resolve(mapping.mappings_of(session, provider.id), person.groups)
    link = session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.provider_id == provider.id, ExternalIdentity.subject == person.subject
        )
    )
    if access is None:
        if link is not None:
            user = session.get(User, link.user_id)
            link.groups = person.groups
            changes = mapping.apply(session, user, None) if user else None
            if changes:
                audit.record(
                    session,
                    None,
                    "identity.access_changed",
                    object_type="user",
                    object_id=link.user_id,
                    tenant_id=provider.tenant_id,
                    ip=ip,
                    detail={"provider_id": str(provider.id), **changes},
                )
        raise NoMappedGroup(
            "none of your directory groups gives access to akte; ask your administrator"
        )
    if link is None:
        user = _take_over(session, provider, person)
        link = ExternalIdentity(
            provider_id=provider.id, subject=person.subject, user_id=user.id, groups=[]
        )
        session.add(link)
    else:
        user = session.get(User, link.user_id)
        if user is None:
            raise SsoRefused("the linked akte account no longer exists")
    if not user.is_active:
        raise SsoRefused("your akte account is disabled")
    user.display_name = person.display_name or user.display_name
    link.groups = person.groups
    link.last_login_at = utcnow()
    session.flush()
    changes = mapping.apply(session, user, access)
    if changes:
        audit.record(
            session,
            None,
            "identity.access_changed",
            object_type="user",
            object_id=user.id,
            tenant_id=provider.tenant_id,
            ip=ip,
            detail={"provider_id": str(provider.id), "at": "login", **changes},
        )
    audit.record(
        session,
        None,
        "sso.login",
        tenant_id=provider.tenant_id,
        ip=ip,
        object_type="user",
        object_id=user.id,
        detail={
            "provider_id": str(provider.id),
            "channel": channel,
            "user_id": str(user.id),
            "subject": person.subject[:200],
            "groups": person.groups[:50],
        },
    )
    return user
