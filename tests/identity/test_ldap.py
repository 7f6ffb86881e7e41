"""LDAP login against a real ``slapd`` over StartTLS: the web form, API tokens, wrong
passwords, a directory that is down or whose certificate akte does not trust."""

from __future__ import annotations

from sqlalchemy import select

from akte.core.database import session_scope
from akte.users.models import Membership, User
from akte.web import sessions
from tests.builders import unique
from tests.identity.conftest import PASSWORD, add_provider, audit_entries, ldap_config
from tests.infra.ldap import BASE_DN
from tests.web.conftest import browser, csrf_of


def _provider(client, world, directory, **config) -> str:
    return add_provider(
        client,
        world.headers["admin_a"],
        "ldap",
        ldap_config(directory, **config),
        [
            {"group": "jc-team-1", "org_unit_id": str(world.unit_a1.id)},
            {"group": "jc-leitung", "role": "tenant_admin"},
        ],
    )


def _web_login(web, provider_id: str, username: str, password: str):
    form = web.get(f"/sso/{provider_id}")
    assert form.status_code == 200 and 'name="password"' in form.text
    return web.post(
        f"/sso/{provider_id}/ldap",
        data={
            "username": username,
            "password": password,
            "next": "/app",
            "csrf_token": csrf_of(form.text),
        },
    )


def test_web_login_binds_as_the_user_and_maps_the_groups(ctx, client, world, directory):
    provider_id = _provider(client, world, directory)
    uid = unique("ida")
    directory.add_person(uid, PASSWORD, groups=("jc-team-1",))
    with browser(ctx) as web:
        assert f"/sso/{provider_id}" in web.get("/login").text
        r = _web_login(web, provider_id, uid, PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == "/app"
        assert web.get(f"/app/akten/{world.case_a1.id}").status_code == 200
        assert web.get(f"/app/akten/{world.case_a2.id}").status_code == 404
    with session_scope(ctx.session_factory) as session:
        user = session.scalar(select(User).where(User.username == uid))
        assert user.password_hash is None and user.role == "caseworker"
        assert user.display_name == f"Person {uid}"
        assert set(
            session.scalars(select(Membership.org_unit_id).where(Membership.user_id == user.id))
        ) == {world.unit_a1.id}
        user_id = str(user.id)
    [entry] = audit_entries(ctx, "sso.login", user_id=user_id)
    assert entry.detail["channel"] == "web" and entry.detail["groups"] == ["jc-team-1"]


def test_the_user_entry_can_be_searched_for_as_active_directory_needs(
    ctx, client, world, directory
):
    provider_id = _provider(
        client,
        world,
        directory,
        user_search_base=f"ou=people,{BASE_DN}",
        user_search_filter="(&(objectClass=inetOrgPerson)(uid={username}))",
    )
    uid = unique("ina")
    directory.add_person(uid, PASSWORD, groups=("jc-leitung",))
    r = client.post(
        f"/api/v1/identity-providers/{provider_id}/token",
        data={"username": uid, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    ).json()
    assert me["role"] == "tenant_admin"
    lost = _provider(
        client,
        world,
        directory,
        user_search_base=f"ou=people,{BASE_DN}",
        user_search_filter="(uid=nobody-{username})",
    )
    r = client.post(
        f"/api/v1/identity-providers/{lost}/token", data={"username": uid, "password": PASSWORD}
    )
    assert r.status_code == 503 and "user_search_base" in r.json()["detail"]


def test_a_wrong_password_is_refused_audited_and_counted(ctx, client, world, directory):
    provider_id = _provider(client, world, directory)
    uid = unique("jan")
    directory.add_person(uid, PASSWORD, groups=("jc-team-1",))
    with browser(ctx) as web:
        for password in ("wrong-password", ""):
            r = _web_login(web, provider_id, uid, password)
            assert r.status_code == 401 and "Passwort ist falsch" in r.text
            assert not web.cookies.get(sessions.STAFF_COOKIE)
    refused = audit_entries(ctx, "sso.login", provider_id=provider_id, error="sso_refused")
    assert len(refused) == 2 and {e.detail["username"] for e in refused} == {uid}
    with session_scope(ctx.session_factory) as session:
        assert session.scalar(select(User).where(User.username == uid)) is None


def test_an_api_token_for_a_directory_account(ctx, client, world, directory):
    provider_id = _provider(client, world, directory)
    uid = unique("kai")
    directory.add_person(uid, PASSWORD, groups=("jc-leitung", "jc-team-1"))
    r = client.post(
        f"/api/v1/identity-providers/{provider_id}/token",
        data={"username": uid, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    ).json()
    assert me["username"] == uid and me["role"] == "tenant_admin"
    assert me["org_unit_ids"] == [str(world.unit_a1.id)]
    wrong = client.post(
        f"/api/v1/identity-providers/{provider_id}/token",
        data={"username": uid, "password": "nope"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "sso_refused"


def test_a_directory_that_is_down_answers_503_and_starts_nothing(ctx, client, world, directory):
    provider_id = _provider(client, world, directory)
    uid = unique("lea")
    directory.add_person(uid, PASSWORD, groups=("jc-team-1",))
    directory.stop()
    try:
        r = client.post(
            f"/api/v1/identity-providers/{provider_id}/token",
            data={"username": uid, "password": PASSWORD},
        )
        assert r.status_code == 503 and r.json()["error"] == "identity_provider_unavailable"
        assert "cannot be reached" in r.json()["detail"] and "Retry-After" in r.headers
        with browser(ctx) as web:
            page = _web_login(web, provider_id, uid, PASSWORD)
            assert page.status_code == 503 and "cannot be reached" in page.text
            assert not web.cookies.get(sessions.STAFF_COOKIE)
    finally:
        directory.start()
    assert audit_entries(
        ctx, "sso.login", provider_id=provider_id, error="identity_provider_unavailable"
    )
    r = client.post(
        f"/api/v1/identity-providers/{provider_id}/token",
        data={"username": uid, "password": PASSWORD},
    )
    assert r.status_code == 200


def test_an_untrusted_certificate_is_a_configuration_error(ctx, client, world, directory):
    provider_id = _provider(client, world, directory, ca_file=None)  # the system's CAs only
    uid = unique("max")
    directory.add_person(uid, PASSWORD, groups=("jc-team-1",))
    r = client.post(
        f"/api/v1/identity-providers/{provider_id}/token",
        data={"username": uid, "password": PASSWORD},
    )
    assert r.status_code == 503 and r.json()["error"] == "identity_provider_misconfigured"
    assert "TLS" in r.json()["detail"]


def test_plaintext_ldap_needs_an_explicit_exception(client, world, directory):
    config = ldap_config(directory, start_tls=False)
    body = {"slug": unique("plain"), "name": "Klartext", "kind": "ldap", "config": config}
    r = client.post("/api/v1/identity-providers", json=body, headers=world.headers["admin_a"])
    assert r.status_code == 422 and "start_tls" in r.text
    body["config"] = {**config, "allow_plaintext": True}
    r = client.post("/api/v1/identity-providers", json=body, headers=world.headers["admin_a"])
    assert r.status_code == 201
