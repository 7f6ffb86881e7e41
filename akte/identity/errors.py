"""Why a directory login fails, each with the status a browser or API client acts on.

::

    NotAuthenticated (401)
    └── SsoRefused (401 sso_refused)          wrong password, ID token not valid for us,
                                              user unknown or disabled at the provider
    AkteError (400)
    └── SsoStateInvalid (400 sso_state_invalid)  unknown, used, expired or foreign ``state``
    Forbidden (403)
    └── NoMappedGroup (403 no_mapped_group)   signed in, but no group maps to akte access
    Conflict (409)
    └── AccountConflict (409 account_conflict)   the username belongs to another account
    ServiceUnavailable (503)
    ├── ProviderUnavailable (503 identity_provider_unavailable)  not reachable now
    └── ProviderMisconfigured (503 identity_provider_misconfigured)  answers, but not as
                                              configured (issuer, client secret, TLS)

Every one of them is audited (``sso.login`` with ``outcome`` and ``reason``) and starts no
session.
"""

from __future__ import annotations

from akte.core.errors import AkteError, Conflict, Forbidden, NotAuthenticated, ServiceUnavailable


class SsoRefused(NotAuthenticated):
    code = "sso_refused"


class SsoStateInvalid(AkteError):
    code = "sso_state_invalid"


class NoMappedGroup(Forbidden):
    code = "no_mapped_group"


class AccountConflict(Conflict):
    code = "account_conflict"


class ProviderUnavailable(ServiceUnavailable):
    code = "identity_provider_unavailable"
    retry_after = 30


class ProviderMisconfigured(ServiceUnavailable):
    code = "identity_provider_misconfigured"
