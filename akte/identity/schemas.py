"""API shapes of identity providers, group mappings and the second factor.

The settings of each kind are validated here (:class:`OidcConfig`, :class:`LdapConfig`), so
a provider that is stored can at least be tried; whether it answers as configured is only
known at login (``identity_provider_misconfigured``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["oidc", "ldap"]
MappedRole = Literal["caseworker", "tenant_admin"]


class OidcConfig(BaseModel):
    """An OpenID Provider (Keycloak realm, AD FS, …); akte is a confidential client."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=8, max_length=500)
    client_id: str = Field(min_length=1, max_length=200)
    scopes: str = Field(default="openid profile email groups", max_length=500)
    #: The claim that names the user in akte (``preferred_username``, ``upn``, ``email``).
    username_claim: str = Field(default="preferred_username", max_length=100)
    display_name_claim: str = Field(default="name", max_length=100)
    #: The claim with the directory groups or roles (a list of strings).
    groups_claim: str = Field(default="groups", max_length=100)
    #: How often a web session is re-checked at the provider (refresh token): a person
    #: disabled or logged out there loses the akte session at the next check. 0: every
    #: request.
    session_check_seconds: int = Field(default=300, ge=0, le=86400)
    #: The audience (resource indicator) of the provider's access tokens for akte's API:
    #: such a JWT is accepted as bearer token for the person linked to its ``sub``.
    #: Empty: the provider's access tokens are not accepted.
    api_audience: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("issuer")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("issuer is an https:// URL")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("scopes must include openid")
        return value


class LdapConfig(BaseModel):
    """An LDAP server or Active Directory; akte binds as the user, stores no password."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=500)
    start_tls: bool = True
    #: CA certificates (PEM file on the akte host) the server's certificate must chain to;
    #: empty: the system's.
    ca_file: str | None = Field(default=None, max_length=500)
    #: ``uid={username},ou=people,dc=example,dc=org`` or, for AD, ``{username}@example.org``.
    user_dn_template: str = Field(min_length=3, max_length=500)
    #: Where to look the user up after the bind when the bind name is no DN (AD's
    #: ``{username}@example.org``): the entry found gives the DN the groups are matched by.
    user_search_base: str | None = Field(default=None, max_length=500)
    user_search_filter: str = Field(default="(userPrincipalName={username})", max_length=500)
    group_base: str = Field(min_length=3, max_length=500)
    group_filter: str = Field(
        default="(&(objectClass=groupOfNames)(member={user_dn}))", max_length=500
    )
    group_name_attribute: str = Field(default="cn", max_length=100)
    display_name_attribute: str = Field(default="cn", max_length=100)
    #: Only for a directory on the same host or in tests: no TLS at all.
    allow_plaintext: bool = False
    timeout_seconds: int = Field(default=5, ge=1, le=60)

    @model_validator(mode="after")
    def _tls(self) -> LdapConfig:
        if not self.url.startswith(("ldap://", "ldaps://")):
            raise ValueError("url is ldaps://host[:port] or ldap://host[:port]")
        if "{username}" not in self.user_dn_template:
            raise ValueError("user_dn_template must contain {username}")
        plain = self.url.startswith("ldap://") and not self.start_tls
        if plain and not self.allow_plaintext:
            raise ValueError("use ldaps:// or start_tls: passwords never cross the net in clear")
        return self


def validate_config(kind: str, config: dict) -> dict:
    model = OidcConfig if kind == "oidc" else LdapConfig
    return model.model_validate(config).model_dump()


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    enabled: bool = True
    config: dict
    #: The OIDC client secret (write-only; never returned).
    client_secret: str | None = Field(default=None, max_length=500)
    #: System administrators name the tenant; a tenant admin's own tenant is used.
    tenant_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _config(self) -> ProviderCreate:
        self.config = validate_config(self.kind, self.config)
        if self.kind == "oidc" and not self.client_secret:
            raise ValueError("an OpenID Connect provider needs the client_secret")
        return self


class ProviderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    config: dict | None = None
    client_secret: str | None = Field(default=None, min_length=1, max_length=500)


class ProviderRead(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    name: str
    kind: Kind
    enabled: bool
    config: dict
    has_client_secret: bool
    #: Where a browser starts a login with this provider.
    login_path: str


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, max_length=500)
    role: MappedRole | None = None
    org_unit_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _something(self) -> MappingIn:
        if self.role is None and self.org_unit_id is None:
            raise ValueError("a mapping gives a role, an org unit, or both")
        return self


class MappingsPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mappings: list[MappingIn] = Field(max_length=500)


class MappingRead(MappingIn):
    id: uuid.UUID


class MappingsRead(BaseModel):
    mappings: list[MappingRead]
    #: People whose access the change altered (applied at once, audited one by one).
    accounts_changed: int = 0


class SecondFactorStatus(BaseModel):
    enrolled: bool
    #: The tenant's option ``second_factor`` asks it of this account.
    required: bool
    confirmed_at: datetime | None = None
    recovery_codes_left: int = 0


class SecondFactorEnrolment(BaseModel):
    """Shown once: the secret for the authenticator app, also as ``otpauth://`` URI."""

    secret: str
    otpauth_uri: str


class SecondFactorConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=16)


class RecoveryCodes(BaseModel):
    """Shown once; each works once instead of a code from the app."""

    recovery_codes: list[str]


class SessionRead(BaseModel):
    """A browser session: where and when it was started and last used."""

    id: str
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    #: The browser asking (web page only; always false through the API).
    current: bool = False


class SessionsEnded(BaseModel):
    ended: int
