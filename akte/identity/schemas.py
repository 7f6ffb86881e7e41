"""API shapes of identity providers, group mappings and the second factor.

The settings of each kind are validated here (:class:`OidcConfig`, :class:`LdapConfig`), so
a provider that is stored can at least be tried; whether it answers as configured is only
known at login (``identity_provider_misconfigured``). Every rule the validators apply is
published in the schema too (patterns, the TLS rule as ``anyOf``, the kind as the
discriminator of the body), so a body the schema allows is not refused with a 422; numbers
and switches take JSON numbers and booleans only (``JsonInt``, ``strict``), not ``"5"``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from akte.core.jsontypes import JsonInt

Kind = Literal["oidc", "ldap"]
MappedRole = Literal["caseworker", "tenant_admin"]


class OidcConfig(BaseModel):
    """An OpenID Provider (Keycloak realm, AD FS, …); akte is a confidential client."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=8, max_length=500, json_schema_extra={"pattern": "^https?://"})
    client_id: str = Field(min_length=1, max_length=200)
    scopes: str = Field(
        default="openid profile email groups",
        max_length=500,
        json_schema_extra={"pattern": r"(^|\s)openid(\s|$)"},
    )
    #: The claim that names the user in akte (``preferred_username``, ``upn``, ``email``).
    username_claim: str = Field(default="preferred_username", max_length=100)
    display_name_claim: str = Field(default="name", max_length=100)
    #: The claim with the directory groups or roles (a list of strings).
    groups_claim: str = Field(default="groups", max_length=100)
    #: How often a web session is re-checked at the provider (refresh token): a person
    #: disabled or logged out there loses the akte session at the next check. 0: every
    #: request.
    session_check_seconds: JsonInt = Field(default=300, ge=0, le=86400)
    #: The audience (resource indicator) of the provider's access tokens for akte's API:
    #: such a JWT is accepted as bearer token for the person linked to its ``sub``.
    #: Empty: the provider's access tokens are not accepted.
    api_audience: str | None = Field(default=None, min_length=1, max_length=500)
    #: ``acr`` values (authentication context class) that mean "signed in with a second
    #: factor" at this provider, e.g. a Keycloak level of assurance or AD FS's
    #: ``http://schemas.microsoft.com/claims/multipleauthn``; requested as ``acr_values``
    #: when the tenant requires a second factor (option ``directory_second_factor``).
    mfa_acr_values: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=20
    )
    #: ``amr`` values (RFC 8176) that mean a second factor took part; either list matching
    #: is enough.
    mfa_amr_values: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=lambda: ["mfa", "otp", "hwk", "swk"], max_length=20
    )

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

    #: ldaps://, or STARTTLS, or plaintext explicitly allowed (the rule of ``_tls``)
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"properties": {"url": {"pattern": "^ldaps://"}}},
                {"properties": {"start_tls": {"const": True}}},
                {
                    "properties": {"allow_plaintext": {"const": True}},
                    "required": ["allow_plaintext"],
                },
            ]
        },
    )

    url: str = Field(min_length=8, max_length=500, json_schema_extra={"pattern": "^ldaps?://"})
    start_tls: bool = Field(default=True, strict=True)
    #: CA certificates (PEM file on the akte host) the server's certificate must chain to;
    #: empty: the system's.
    ca_file: str | None = Field(default=None, max_length=500)
    #: ``uid={username},ou=people,dc=example,dc=org`` or, for AD, ``{username}@example.org``.
    user_dn_template: str = Field(
        min_length=3, max_length=500, json_schema_extra={"pattern": r"\{username\}"}
    )
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
    allow_plaintext: bool = Field(default=False, strict=True)
    timeout_seconds: JsonInt = Field(default=5, ge=1, le=60)

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


def config_model(kind: str) -> type[OidcConfig] | type[LdapConfig]:
    return OidcConfig if kind == "oidc" else LdapConfig


class _ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = Field(default=True, strict=True)
    #: System administrators name the tenant; a tenant admin's own tenant is used.
    tenant_id: uuid.UUID | None = None


class OidcProviderCreate(_ProviderCreate):
    kind: Literal["oidc"]
    config: OidcConfig
    #: The OIDC client secret (write-only; never returned).
    client_secret: str = Field(min_length=1, max_length=500)


class LdapProviderCreate(_ProviderCreate):
    kind: Literal["ldap"]
    config: LdapConfig
    #: Not used by LDAP (akte binds as the user); accepted for symmetry, never returned.
    client_secret: str | None = Field(default=None, max_length=500)


#: A new provider; ``kind`` decides which settings ``config`` holds.
ProviderCreate = Annotated[OidcProviderCreate | LdapProviderCreate, Field(discriminator="kind")]


class ProviderUpdate(BaseModel):
    """Only what is sent changes. ``config`` replaces the settings as a whole and must be
    of the provider's kind (409 otherwise: the kind is not in the body)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = Field(default=None, strict=True)
    #: may be left out, never ``null`` (not in the schema either)
    config: OidcConfig | LdapConfig | SkipJsonSchema[None] = None
    client_secret: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("config")
    @classmethod
    def _config_not_null(cls, value: OidcConfig | LdapConfig | None) -> OidcConfig | LdapConfig:
        if value is None:
            raise ValueError("config may be omitted, not null")
        return value


class ProviderRead(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    name: str
    kind: Kind
    enabled: bool
    config: dict[str, Any]
    has_client_secret: bool
    #: Where a browser starts a login with this provider.
    login_path: str


class MappingIn(BaseModel):
    #: published: a role, an org unit or both (the rule of ``_something``)
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["role"], "properties": {"role": {"type": "string"}}},
                {"required": ["org_unit_id"], "properties": {"org_unit_id": {"type": "string"}}},
            ]
        },
    )

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


class ServiceClientCreate(BaseModel):
    """An OAuth client of the provider that acts as a service account of the same tenant
    (client credentials). The provider needs ``api_audience`` for its tokens to count."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=200)
    user_id: uuid.UUID


class ServiceClientRead(BaseModel):
    id: uuid.UUID
    client_id: str
    user_id: uuid.UUID
