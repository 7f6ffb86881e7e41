"""Fixtures of the directory-login tests: a real OpenID Provider (``oidc-provider`` on
Node.js) and a real LDAP server (``slapd``), each started once per session, and helpers
that walk a browser through the provider's own login page."""

from __future__ import annotations

import contextlib
import ssl
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.context import AppContext
from akte.core.database import session_scope
from tests.client import TestClient
from tests.infra.ldap import BASE_DN, LdapServer, ldap_server
from tests.infra.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider, oidc_provider

PASSWORD = "directory-pw-1"


@pytest.fixture(scope="session")
def op() -> Iterator[OidcProvider]:
    with oidc_provider() as provider:
        yield provider


@pytest.fixture(scope="session")
def directory() -> Iterator[LdapServer]:
    with ldap_server() as server:
        yield server


def oidc_config(op: OidcProvider, **overrides: object) -> dict:
    return {"issuer": op.issuer, "client_id": CLIENT_ID, **overrides}


def ldap_config(directory: LdapServer, **overrides: object) -> dict:
    return {
        "url": directory.url,
        "start_tls": True,
        "ca_file": str(directory.ca_file),
        "user_dn_template": f"uid={{username}},ou=people,{BASE_DN}",
        "group_base": f"ou=groups,{BASE_DN}",
        **overrides,
    }


def add_provider(
    client: TestClient,
    headers: dict,
    kind: str,
    config: dict,
    mappings: list[dict],
    secret: str | None = CLIENT_SECRET,
) -> str:
    """A provider made through the API by a tenant admin, with its group mapping."""
    body = {
        "slug": f"idp-{uuid.uuid4().hex[:8]}",
        "name": f"Verzeichnis {kind}",
        "kind": kind,
        "config": config,
    }
    if kind == "oidc":
        body["client_secret"] = secret
    r = client.post("/api/v1/identity-providers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    provider_id = r.json()["id"]
    r = client.put(
        f"/api/v1/identity-providers/{provider_id}/mappings",
        json={"mappings": mappings},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return provider_id


def at_provider(
    op: OidcProvider,
    authorize_url: str,
    login: str,
    password: str = PASSWORD,
    agent: httpx.Client | None = None,
) -> httpx.Response:
    """A browser at the provider: its login page, the form, back to akte. Returns the
    provider's last answer (a redirect to akte's callback, or the login page again).
    ``agent`` keeps the provider's cookies for a later visit (logout)."""
    with contextlib.nullcontext(agent) if agent else provider_browser() as agent:
        r = agent.get(authorize_url)
        assert r.status_code in (302, 303), r.text
        interaction = urljoin(op.issuer, r.headers["location"])
        page = agent.get(interaction)
        assert 'name="password"' in page.text
        r = agent.post(interaction, data={"login": login, "password": password})
        if r.status_code not in (302, 303):
            return r
        return agent.get(urljoin(op.issuer, r.headers["location"]))


#: The provider browsers' TLS settings, made once: a client given none loads the system's
#: CA file into a context of its own (32.5 against 0.2 CPU-ms a client, measured).
_TLS = ssl.create_default_context()


def provider_browser() -> httpx.Client:
    """A new browser (no cookies) for the provider's pages."""
    return httpx.Client(follow_redirects=False, timeout=10, verify=_TLS)


def start_login(web: TestClient, provider_id: str, next_path: str = "/app") -> str:
    r = web.get(f"/sso/{provider_id}", params={"next": next_path})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def oidc_login_callback(
    web: TestClient, op: OidcProvider, provider_id: str, login: str, next_path: str = "/app"
) -> str:
    """The browser journey up to the provider's redirect back: akte's callback URL."""
    answer = at_provider(op, start_login(web, provider_id, next_path), login)
    assert answer.status_code in (302, 303), answer.text
    callback = answer.headers["location"]
    assert callback.startswith("http://testserver/sso/callback?"), callback
    return callback


def oidc_login(
    web: TestClient, op: OidcProvider, provider_id: str, login: str, next_path: str = "/app"
) -> httpx.Response:
    """The whole browser journey; returns akte's answer to the callback."""
    return web.get(oidc_login_callback(web, op, provider_id, login, next_path))


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def audit_entries(ctx: AppContext, action: str, **detail: str) -> list[AuditEntry]:
    with session_scope(ctx.session_factory) as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id.desc())
            .limit(500)
        ).all()
        session.expunge_all()
    return [r for r in rows if all(str(r.detail.get(k)) == v for k, v in detail.items())]
