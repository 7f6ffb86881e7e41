"""The three ways into akte through a directory, each ending in an akte account or an
audited refusal: an LDAP bind (web form and API token), and the two halves of an OpenID
Connect login (start, callback).

Every failure is written to the audit log (``sso.login``, ``outcome=refused``) before it is
raised; the request edge commits even then, so the entry and the throttle count survive.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from akte.auth import throttle
from akte.core.errors import AkteError, NotFound
from akte.identity import assurance, login, oidc, repository
from akte.identity.errors import SsoRefused
from akte.identity.models import IdentityProvider
from akte.identity.schemas import LdapConfig
from akte.users.models import User


def provider_for_login(
    session: Session, provider_id: uuid.UUID, kind: str | None = None
) -> IdentityProvider:
    """An enabled provider (of ``kind``, if given); ``NotFound`` otherwise."""
    provider = repository.enabled(session, provider_id)
    if provider is None or (kind is not None and provider.kind != kind):
        raise NotFound("no such sign-in method")
    return provider


def ldap_sign_in(
    session: Session,
    provider: IdentityProvider,
    *,
    username: str,
    password: str,
    ip: str | None,
    channel: str,
) -> User:
    """The account of whoever binds with ``username``/``password``; throttled like a
    password login (per account and address)."""
    # imported here: ldap3 costs every process that builds the app 0.15-0.3 s, and only
    # directory sign-ins need it
    from akte.identity import ldap

    key = f"{provider.id}/{username.strip()}"
    try:
        throttle.check(session, username=key, ip=ip)
        person = ldap.authenticate(
            LdapConfig.model_validate(provider.config), username=username, password=password
        )
        assurance.enforce_ldap(session, provider, groups=person.groups)
        user = login.complete(session, provider, person, ip=ip, channel=channel)
    except AkteError as exc:
        if isinstance(exc, SsoRefused):
            throttle.record_failure(session, username=key, ip=ip)
        login.refused(session, provider, exc, ip=ip, channel=channel, username=username)
        raise
    throttle.record_success(session, username=key, ip=ip)
    return user


def oidc_start(
    session: Session, provider_id: uuid.UUID, *, redirect_uri: str, next_path: str, ip: str | None
) -> tuple[str, str]:
    provider = provider_for_login(session, provider_id, "oidc")
    config = provider.config or {}
    # a tenant that wants a second factor asks the provider for it up front (step-up);
    # whether it was given is checked on the ID token all the same
    acr_values = (
        config.get("mfa_acr_values") or None
        if assurance.requirement(session, provider.tenant_id)
        else None
    )
    try:
        return oidc.begin(
            session, provider, redirect_uri=redirect_uri, next_path=next_path, acr_values=acr_values
        )
    except AkteError as exc:
        login.refused(session, provider, exc, ip=ip, channel="web")
        raise


def oidc_callback(
    session: Session,
    *,
    state: str | None,
    cookie_state: str | None,
    code: str | None,
    error: str | None,
    redirect_uri: str,
    ip: str | None,
) -> tuple[User, str, IdentityProvider, oidc.OidcResult]:
    """The account of whoever the provider vouches for, where the browser goes next, and
    what the provider said (to bind the web session to the provider's session)."""
    provider, who = None, None
    try:
        pending = oidc.take_state(session, state=state, cookie_state=cookie_state)
        provider = repository.enabled(session, pending.provider_id)
        if provider is None:
            raise NotFound("this sign-in method is switched off")
        result = oidc.finish(provider, pending, code=code, error=error, redirect_uri=redirect_uri)
        who = result.person.username
        assurance.enforce(
            session, provider, groups=result.person.groups, acr=result.acr, amr=list(result.amr)
        )
        user = login.complete(session, provider, result.person, ip=ip, channel="web")
    except AkteError as exc:
        login.refused(session, provider, exc, ip=ip, channel="web", username=who)
        raise
    return user, pending.next_path, provider, result
