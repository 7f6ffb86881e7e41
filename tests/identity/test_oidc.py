"""OpenID Connect login against a real provider (``oidc-provider``), through its own login
page: the account it makes, what the browser holds, and every way it is refused."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update

from akte.core.database import session_scope
from akte.identity.models import (
    DirectorySession,
    ExternalIdentity,
    IdentityProvider,
    OidcLoginState,
)
from akte.users.models import Membership, User
from akte.web import sessions
from tests.builders import unique
from tests.identity.conftest import (
    PASSWORD,
    add_provider,
    at_provider,
    audit_entries,
    oidc_config,
    oidc_login,
    oidc_login_callback,
    provider_browser,
    start_login,
    state_of,
)
from tests.infra.oidc import (
    API_CLIENT_ID,
    BRIEF_CLIENT_ID,
    BRIEF_ID_TOKEN_SECONDS,
    CLIENT_SECRET,
    MISADDRESSED_CLIENT_ID,
)
from tests.web.conftest import browser


def _team_provider(client, world, op, **config) -> str:
    return add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op, **config),
        [
            {"group": "JC-Team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)},
            {"group": "jc-team-2", "org_unit_id": str(world.unit_a2.id)},
            {"group": "jc-admins", "role": "tenant_admin"},
        ],
    )


def _account(ctx, username: str) -> tuple[User, set[uuid.UUID]]:
    with session_scope(ctx.session_factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        units = (
            set(
                session.scalars(select(Membership.org_unit_id).where(Membership.user_id == user.id))
            )
            if user
            else set()
        )
        session.expunge_all()
    return user, units


def test_login_makes_an_account_from_the_directory_groups(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("anna")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"], name="Anna Amsel")
    with browser(ctx) as web:
        assert f"/sso/{provider_id}" in web.get("/login").text
        authorize = start_login(web, provider_id)
        # the browser carries the PKCE challenge and state, never a secret or a verifier
        assert "code_challenge_method=S256" in authorize and "code_challenge=" in authorize
        assert CLIENT_SECRET not in authorize and "code_verifier" not in authorize
        r = oidc_login(web, op, provider_id, login, next_path=f"/app/akten/{world.case_a1.id}")
        assert r.status_code == 303 and r.headers["location"] == f"/app/akten/{world.case_a1.id}"
        # the provider's tokens stay on the server: the cookies hold no JWT
        assert web.cookies.get(sessions.STAFF_COOKIE)
        assert not any(v.startswith("eyJ") for v in web.cookies.values())
        page = web.get(f"/app/akten/{world.case_a1.id}")
        assert page.status_code == 200 and world.case_a1.aktenzeichen in page.text
        assert web.get(f"/app/akten/{world.case_a2.id}").status_code == 404
        assert world.case_b1.aktenzeichen not in web.get("/app").text
    user, units = _account(ctx, login)
    assert user.tenant_id == world.tenant_a.id and user.role == "caseworker"
    assert user.password_hash is None and user.display_name == "Anna Amsel"
    assert units == {world.unit_a1.id}
    [entry] = audit_entries(ctx, "sso.login", user_id=str(user.id))
    assert entry.outcome == "ok" and entry.tenant_id == world.tenant_a.id


def test_the_highest_mapped_role_and_every_mapped_unit(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("bernd")
    op.set_account(login, password=PASSWORD, groups=["jc-team-2", "jc-admins", "unmapped"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
    user, units = _account(ctx, login)
    assert user.role == "tenant_admin" and units == {world.unit_a2.id}


def test_a_replayed_or_foreign_callback_starts_no_session(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("carla")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    before = len(audit_entries(ctx, "sso.login", error="sso_state_invalid"))
    with browser(ctx) as web:
        answer = at_provider(op, start_login(web, provider_id), login)
        callback = answer.headers["location"]
        # another browser (an attacker planting their code) has no state cookie
        with browser(ctx) as other:
            r = other.get(callback, headers={"Accept": "application/json"})
            assert r.status_code == 400 and r.json()["error"] == "sso_state_invalid"
            assert not other.cookies.get(sessions.STAFF_COOKIE)
        assert web.get(callback).status_code == 303
        web.cookies.delete(sessions.STAFF_COOKIE)
        web.cookies.set("akte_sso", state_of(callback), path="/sso")
        replay = web.get(callback)
        assert replay.status_code == 400 and "schon abgeschlossen" in replay.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)
    assert len(audit_entries(ctx, "sso.login", error="sso_state_invalid")) >= before + 2


def test_an_id_token_with_another_nonce_is_refused(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("dora")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        authorize = start_login(web, provider_id)
        # the pending login now expects another nonce than the one the provider signs
        with session_scope(ctx.session_factory) as session:
            session.execute(
                update(OidcLoginState)
                .where(OidcLoginState.provider_id == uuid.UUID(provider_id))
                .values(nonce="other")
            )
        callback = at_provider(op, authorize, login).headers["location"]
        r = web.get(callback, headers={"Accept": "application/json"})
        assert r.status_code == 401 and r.json()["error"] == "sso_refused"
        assert "nonce" in r.json()["detail"]
        assert not web.cookies.get(sessions.STAFF_COOKIE)
    assert _account(ctx, login)[0] is None
    assert audit_entries(ctx, "sso.login", provider_id=provider_id, error="sso_refused")


def _refused_login(ctx, web, provider_id: str, login: str, callback: str, reason: str) -> None:
    """The callback is refused as JSON and as a German page, audited with ``reason``, and
    leaves no session and no account behind."""
    r = web.get(callback, headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.json()["error"] == "sso_refused", r.text
    assert reason in r.json()["detail"]
    assert not web.cookies.get(sessions.STAFF_COOKIE)
    assert _account(ctx, login)[0] is None
    [entry] = audit_entries(ctx, "sso.login", provider_id=provider_id, error="sso_refused")
    assert entry.outcome == "refused" and entry.tenant_id == world_tenant(ctx, provider_id)
    assert reason in entry.detail["reason"]


def world_tenant(ctx, provider_id: str) -> uuid.UUID:
    with session_scope(ctx.session_factory) as session:
        return session.get(IdentityProvider, uuid.UUID(provider_id)).tenant_id


def test_an_id_token_issued_to_another_application_is_refused(ctx, client, world, op):
    """The provider signs the ID token, with its own keys, for another client
    (``akte-cli``) than the one akte is registered as: nobody gets in."""
    provider_id = _team_provider(client, world, op, client_id=MISADDRESSED_CLIENT_ID)
    login = unique("ida")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        callback = oidc_login_callback(web, op, provider_id, login)
        _refused_login(ctx, web, provider_id, login, callback, f"issued to '{API_CLIENT_ID}'")
    # the browser that follows the redirect gets the page, in German
    with browser(ctx) as web:
        page = web.get(oidc_login_callback(web, op, provider_id, login))
        assert page.status_code == 401 and "text/html" in page.headers["content-type"]
        assert "Der Anmeldedienst hat die Anmeldung abgelehnt" in page.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)


def test_an_expired_id_token_is_refused(ctx, client, world, op, clock):
    """The provider's ID tokens live 5 seconds; the code reaches akte after they expired
    (akte's clock moved past the 60 seconds of leeway, the login itself still fresh)."""
    provider_id = _team_provider(client, world, op, client_id=BRIEF_CLIENT_ID)
    login = unique("jan")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        callback = oidc_login_callback(web, op, provider_id, login)
        clock.advance(BRIEF_ID_TOKEN_SECONDS + 60 + 10)
        _refused_login(ctx, web, provider_id, login, callback, "expired")
    clock.reset()
    # the same provider's ID token in time: the account is made
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
    assert _account(ctx, login)[0] is not None


def test_nobody_without_a_mapped_group_gets_in(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("emil")
    op.set_account(login, password=PASSWORD, groups=["kantine"])
    with browser(ctx) as web:
        r = oidc_login(web, op, provider_id, login)
        assert r.status_code == 403 and "Verzeichnis" not in r.headers.get("location", "")
        assert "Keine Ihrer Verzeichnisgruppen" in r.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)
    assert _account(ctx, login)[0] is None
    [entry] = audit_entries(ctx, "sso.login", provider_id=provider_id, error="no_mapped_group")
    assert entry.outcome == "refused" and entry.tenant_id == world.tenant_a.id


def test_a_user_disabled_at_the_provider_cannot_sign_in(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("fritz")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"], disabled=True)
    with browser(ctx) as web:
        answer = at_provider(op, start_login(web, provider_id), login)
        assert answer.status_code == 200 and "account disabled" in answer.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)


def test_disabled_at_the_provider_the_running_session_ends_at_the_next_check(
    ctx, client, world, op
):
    provider_id = _team_provider(client, world, op, session_check_seconds=0)
    login = unique("greta")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
        with session_scope(ctx.session_factory) as session:
            [bound] = session.scalars(
                select(DirectorySession).where(
                    DirectorySession.provider_id == uuid.UUID(provider_id)
                )
            ).all()
            assert bound.refresh_token and bound.sid  # kept on the server, encrypted
            first = bound.refresh_token
        for _ in range(2):  # each check refreshes (and rotates) the provider's token
            assert web.get("/app").status_code == 200
        with session_scope(ctx.session_factory) as session:
            assert session.get(DirectorySession, bound.web_session_hash).refresh_token != first
        op.set_account(login, password=PASSWORD, groups=["jc-team-1"], disabled=True)
        r = web.get("/app")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        # the session is gone, not only refused once
        op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
        assert web.get("/app").status_code == 303
    [ended] = audit_entries(ctx, "sso.session_ended", provider_id=provider_id)
    assert ended.tenant_id == world.tenant_a.id and "refused" in ended.detail["reason"]


def test_logout_at_the_provider_ends_the_akte_session(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)  # no session check: only the logout
    login = unique("hugo")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    op.logout_tokens()
    refused_before = len(
        [e for e in audit_entries(ctx, "sso.backchannel_logout") if e.outcome != "ok"]
    )
    with browser(ctx) as web, provider_browser() as agent:
        answer = at_provider(op, start_login(web, provider_id), login, agent=agent)
        assert web.get(answer.headers["location"]).status_code == 303
        assert web.get("/app").status_code == 200
        page = agent.get(f"{op.issuer}/session/end")
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
        agent.post(f"{op.issuer}/session/end/confirm", data={"xsrf": xsrf, "logout": "yes"})
        [token] = op.logout_tokens()
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        r = client.post("/sso/backchannel-logout", data={"logout_token": forged})
        assert r.status_code == 400
        assert web.get("/app").status_code == 200  # a forged token ends nothing
        assert (
            client.post("/sso/backchannel-logout", data={"logout_token": token}).status_code == 200
        )
        r = web.get("/app")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    [ended] = audit_entries(ctx, "sso.backchannel_logout", provider_id=provider_id)
    assert ended.outcome == "ok" and ended.tenant_id == world.tenant_a.id
    refused = [e for e in audit_entries(ctx, "sso.backchannel_logout") if e.outcome != "ok"]
    assert len(refused) > refused_before


def test_a_misconfigured_provider_gets_a_reason_not_a_500(ctx, client, world, op):
    closed = f"http://127.0.0.1:{_closed_port()}"
    cases = [
        (
            oidc_config(op, issuer=closed),
            CLIENT_SECRET,
            "identity_provider_unavailable",
            "cannot be reached",
        ),
        (
            oidc_config(op, issuer=op.issuer.replace("127.0.0.1", "localhost")),
            CLIENT_SECRET,
            "identity_provider_misconfigured",
            "names itself",
        ),
    ]
    for config, secret, error, reason in cases:
        provider_id = add_provider(
            client,
            world.headers["admin_a"],
            "oidc",
            config,
            [{"group": "jc-team-1", "org_unit_id": str(world.unit_a1.id)}],
            secret=secret,
        )
        with browser(ctx) as web:
            r = web.get(f"/sso/{provider_id}", headers={"Accept": "application/json"})
            assert r.status_code == 503, r.text
            assert r.json()["error"] == error and reason in r.json()["detail"]
            page = web.get(f"/sso/{provider_id}")
            # the German text for the person, the technical reason for the administrator
            assert page.status_code == 503 and "Anmeldedienst" in page.text
            assert reason in page.text
        assert audit_entries(ctx, "sso.login", provider_id=provider_id, error=error)
    # a wrong client secret shows only when the code is exchanged
    provider_id = add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op),
        [{"group": "jc-team-1", "org_unit_id": str(world.unit_a1.id)}],
        secret="wrong-secret",
    )
    login = unique("gerd")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        callback = at_provider(op, start_login(web, provider_id), login).headers["location"]
        r = web.get(callback, headers={"Accept": "application/json"})
        assert r.status_code == 503 and r.json()["error"] == "identity_provider_misconfigured"
        assert "client credentials" in r.json()["detail"]
        assert not web.cookies.get(sessions.STAFF_COOKIE)


def test_a_switched_off_provider_starts_no_login(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    r = client.patch(
        f"/api/v1/identity-providers/{provider_id}",
        json={"enabled": False},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200 and r.json()["enabled"] is False
    with browser(ctx) as web:
        assert f"/sso/{provider_id}" not in web.get("/login").text
        assert web.get(f"/sso/{provider_id}").status_code == 404


def test_a_changed_mapping_takes_access_away_at_the_next_request(ctx, client, world, op):
    provider_id = _team_provider(client, world, op)
    login = unique("hanna")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    admin = world.headers["admin_a"]
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
        assert web.get(f"/app/akten/{world.case_a1.id}").status_code == 200
        r = client.put(
            f"/api/v1/identity-providers/{provider_id}/mappings",
            headers=admin,
            json={"mappings": [{"group": "jc-team-1", "org_unit_id": str(world.unit_a2.id)}]},
        )
        assert r.status_code == 200 and r.json()["accounts_changed"] == 1
        assert web.get(f"/app/akten/{world.case_a1.id}").status_code == 404
        assert web.get(f"/app/akten/{world.case_a2.id}").status_code == 200
        # no group maps any more: every session of the account ends
        r = client.put(
            f"/api/v1/identity-providers/{provider_id}/mappings",
            headers=admin,
            json={"mappings": [{"group": "jc-admins", "role": "tenant_admin"}]},
        )
        assert r.json()["accounts_changed"] == 1
        r = web.get("/app")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    _user, units = _account(ctx, login)
    assert units == set()
    changes = audit_entries(ctx, "identity.access_changed", provider_id=provider_id)
    assert {e.detail["at"] for e in changes} >= {"mapping_change"}
    assert any(e.detail.get("sessions_ended") for e in changes)
    [change] = audit_entries(ctx, "identity.mapping_change")[:1]
    assert change.object_id == provider_id and change.actor_id == str(world.users["admin_a"].id)


def test_a_local_caseworker_account_follows_the_directory_but_an_admin_is_not_taken(
    ctx, client, world, op
):
    provider_id = _team_provider(client, world, op)
    local = world.users["caseworker_none"].username
    op.set_account(local, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, local).status_code == 303
    user, units = _account(ctx, local)
    assert user.id == world.users["caseworker_none"].id
    assert user.password_hash is None and units == {world.unit_a1.id}
    with session_scope(ctx.session_factory) as session:
        link = session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
        assert link.groups == ["jc-team-1"]
    admin = world.users["admin_a"].username
    op.set_account(admin, password=PASSWORD, groups=["jc-admins"])
    with browser(ctx) as web:
        r = oidc_login(web, op, provider_id, admin)
        assert r.status_code == 409 and "anderen akte-Konto" in r.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)


def _closed_port() -> int:
    from tests.infra.ports import free_port

    return free_port()
