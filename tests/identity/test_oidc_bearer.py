"""The provider's access tokens as API bearer tokens: a JWT for akte's audience, verified
against the real provider's keys, speaks for the person linked to its ``sub``."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.builders import unique
from tests.identity.conftest import PASSWORD, add_provider, at_provider, oidc_config, oidc_login
from tests.infra.oidc import API_CLIENT_ID, API_CLIENT_REDIRECT, API_CLIENT_SECRET, API_RESOURCE
from tests.web.conftest import browser


def access_token(op, login: str, resource: str = API_RESOURCE) -> str:
    """What a command-line client of the realm gets for ``login``: authorization code with
    PKCE and a resource indicator, through the provider's own login page."""
    doc = httpx.get(f"{op.issuer}/.well-known/openid-configuration").json()
    verifier = secrets.token_urlsafe(48)
    url = (
        doc["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "client_id": API_CLIENT_ID,
                "response_type": "code",
                "redirect_uri": API_CLIENT_REDIRECT,
                "scope": "openid api",
                "resource": resource,
                "state": secrets.token_urlsafe(8),
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
    )
    answer = at_provider(op, url, login)
    assert answer.status_code in (302, 303), answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    r = httpx.post(
        doc["token_endpoint"],
        auth=(API_CLIENT_ID, API_CLIENT_SECRET),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": API_CLIENT_REDIRECT,
            "code_verifier": verifier,
            "resource": resource,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _me(client, token: str):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_provider_access_token_is_a_bearer_token_of_the_linked_person(ctx, client, world, op):
    mapping = [{"group": "jc-team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)}]
    provider_id = add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op, api_audience=API_RESOURCE),
        mapping,
    )
    login, stranger = unique("clara"), unique("dora")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    op.set_account(stranger, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:  # the first web login links (and maps) the account
        assert oidc_login(web, op, provider_id, login).status_code == 303

    token = access_token(op, login)
    assert _claims(token)["aud"] == API_RESOURCE
    r = _me(client, token)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == login and r.json()["org_unit_ids"] == [str(world.unit_a1.id)]
    listed = client.get("/api/v1/case-files", headers={"Authorization": f"Bearer {token}"})
    ids = {c["id"] for c in listed.json()["items"]}
    assert str(world.case_a1.id) in ids and not ids & {str(world.case_a2.id), str(world.case_b1.id)}

    # a person of the provider never linked to akte, and a forged signature: no access
    r = _me(client, access_token(op, stranger))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    head, body, sig = token.split(".")
    forged = ".".join([head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    assert _me(client, forged).status_code == 401


def test_without_a_configured_audience_the_token_is_refused(ctx, client, world, op):
    mapping = [{"group": "jc-team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)}]
    provider_id = add_provider(client, world.headers["admin_a"], "oidc", oidc_config(op), mapping)
    login = unique("emil")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
    r = _me(client, access_token(op, login))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    # the audience set, but to another API: still refused
    r = client.patch(
        f"/api/v1/identity-providers/{provider_id}",
        headers=world.headers["admin_a"],
        json={"config": oidc_config(op, api_audience="urn:other:api")},
    )
    assert r.status_code == 200, r.text
    assert _me(client, access_token(op, login)).status_code == 401
