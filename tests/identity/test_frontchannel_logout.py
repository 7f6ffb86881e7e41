"""Front-channel logout: the provider's logout page loads akte's
``/sso/frontchannel-logout?iss=…&sid=…`` in a frame, and the akte sessions of that provider
session end. The ``sid`` is the one the real provider put into the ID token; the frame's
request is made here (``oidc-provider`` 9 has no front-channel feature to render it)."""

from __future__ import annotations

from akte.core.database import session_scope
from akte.identity.models import DirectorySession
from akte.web import sessions
from tests.builders import unique
from tests.identity.conftest import PASSWORD, add_provider, audit_entries, oidc_config, oidc_login
from tests.web.conftest import browser


def _sid(ctx, web) -> str:
    token_hash = sessions.token_hash(web.cookies.get(sessions.STAFF_COOKIE))
    with session_scope(ctx.session_factory) as session:
        sid = session.get(DirectorySession, token_hash).sid
    assert sid
    return sid


def test_the_named_provider_session_ends_others_do_not(ctx, client, world, op):
    provider_id = add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op),
        [{"group": "jc-team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)}],
    )
    leaving, staying = unique("lena"), unique("stan")
    for login in (leaving, staying):
        op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web, browser(ctx) as other, browser(ctx) as frame:
        assert oidc_login(web, op, provider_id, leaving).status_code == 303
        assert oidc_login(other, op, provider_id, staying).status_code == 303
        sid = _sid(ctx, web)
        assert sid != _sid(ctx, other)

        # another issuer, or no sid: nothing ends
        r = frame.get("/sso/frontchannel-logout", params={"iss": "https://idp.invalid", "sid": sid})
        assert r.status_code == 200 and web.get("/app").status_code == 200
        r = frame.get(
            "/sso/frontchannel-logout",
            params={"iss": op.issuer},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 400
        assert web.get("/app").status_code == 200

        # the frame carries no akte cookie: iss and sid alone end the session
        r = frame.get("/sso/frontchannel-logout", params={"iss": op.issuer, "sid": sid})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        r = web.get("/app")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert other.get("/app").status_code == 200
    [ended] = audit_entries(ctx, "sso.frontchannel_logout", provider_id=provider_id)
    assert ended.outcome == "ok" and ended.tenant_id == world.tenant_a.id
