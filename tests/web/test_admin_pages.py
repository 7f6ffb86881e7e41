"""Administration in the browser (``/app/verwaltung``) through the ASGI app: what a tenant
admin does, what a caseworker and another tenant's admin may not, and that a secret is
shown once. The browser journeys are in ``test_admin_browser.py``."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

from akte.core.database import session_scope
from akte.grants.models import CaseFileGrant
from akte.users.models import Membership, Role, User
from tests.builders import make_user
from tests.web.conftest import browser, csrf_of, login, post_form

ADMIN = "/app/verwaltung"


def _admin_b(ctx, world) -> str:
    with session_scope(ctx.session_factory) as session:
        return make_user(session, world.tenant_b, Role.tenant_admin, (world.unit_b1,)).username


def _create_person(client, username: str, **extra) -> str:
    response = post_form(
        client,
        ADMIN,
        f"{ADMIN}/personen",
        {"username": username, "display_name": "Anna Neu", "role": "caseworker", **extra},
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return re.search(r'<output id="secret">([^<]+)</output>', response.text).group(1)


def test_created_person_signs_in_with_the_one_time_code_and_a_reset_ends_it(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    code = _create_person(admin, "anna.neu", org_unit_id=str(world.unit_a1.id))
    with session_scope(ctx.session_factory) as session:
        user = session.query(User).filter_by(username="anna.neu").one()
        user_id = user.id
        assert user.tenant_id == world.tenant_a.id
        assert session.query(Membership).filter_by(user_id=user_id).count() == 1
    person = browser(ctx)
    login(person, "anna.neu", code)
    assert person.get("/app").status_code == 200

    reset = post_form(
        admin, f"{ADMIN}/personen/{user_id}", f"{ADMIN}/personen/{user_id}/passwort", {}
    )
    assert reset.status_code == 201
    new_code = re.search(r'<output id="secret">([^<]+)</output>', reset.text).group(1)
    assert new_code != code
    # the old session ended with the reset; the old code no longer opens one
    assert person.get("/app").status_code == 303
    page = browser(ctx)
    form = page.get("/login")
    refused = page.post(
        "/login",
        data={"username": "anna.neu", "password": code, "csrf_token": csrf_of(form.text)},
    )
    assert refused.status_code != 303
    login(browser(ctx), "anna.neu", new_code)
    # the secret is never shown again on the account's page
    assert new_code not in admin.get(f"{ADMIN}/personen/{user_id}").text


def test_a_deactivated_person_loses_the_session_and_cannot_sign_in(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    victim = browser(ctx)
    username = world.users["caseworker_a2"].username
    login(victim, username)
    assert victim.get("/app").status_code == 200
    user_id = world.users["caseworker_a2"].id
    response = post_form(
        admin, f"{ADMIN}/personen/{user_id}", f"{ADMIN}/personen/{user_id}/deaktivieren", {}
    )
    assert response.status_code == 303
    assert "deaktiviert" in admin.get(response.headers["location"]).text
    assert victim.get("/app").status_code == 303
    again = browser(ctx)
    form = again.get("/login")
    refused = again.post(
        "/login",
        data={
            "username": username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert refused.status_code != 303
    # an admin cannot lock themself out
    own = world.users["admin_a"].id
    refused_self = post_form(
        admin, f"{ADMIN}/personen/{own}", f"{ADMIN}/personen/{own}/deaktivieren", {}
    )
    assert refused_self.status_code == 409
    assert "eigenes Konto" in refused_self.text


def test_a_refused_new_account_keeps_the_form_and_ties_the_reason_to_it(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    taken = world.users["caseworker_a1"].username
    response = post_form(
        admin,
        ADMIN,
        f"{ADMIN}/personen",
        {"username": taken, "display_name": "Doppelt", "role": "caseworker"},
    )
    assert response.status_code == 409
    assert "Dieser Benutzername ist schon vergeben." in response.text
    assert 'aria-describedby="username-hint person-error"' in response.text
    assert 'value="Doppelt"' in response.text


def test_membership_and_grant_with_an_end_date(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    user_id = world.users["caseworker_a1"].id
    until = (datetime.now(UTC) + timedelta(days=14)).date()
    response = post_form(
        admin,
        f"{ADMIN}/personen/{user_id}",
        f"{ADMIN}/personen/{user_id}/mitgliedschaften",
        {"org_unit_id": str(world.unit_a2.id), "valid_until": until.isoformat()},
    )
    assert response.status_code == 303
    case_id = world.case_a1.id
    response = post_form(
        admin,
        f"{ADMIN}/akten/{case_id}",
        f"{ADMIN}/akten/{case_id}/freigaben",
        {"org_unit_id": str(world.unit_a2.id), "valid_until": until.isoformat()},
    )
    assert response.status_code == 303
    with session_scope(ctx.session_factory) as session:
        m = session.query(Membership).filter_by(user_id=user_id, org_unit_id=world.unit_a2.id).one()
        g = session.query(CaseFileGrant).filter_by(case_file_id=case_id).one()
        for row in (m, g):
            ends = row.valid_until.replace(tzinfo=row.valid_until.tzinfo or UTC)
            assert until < ends.date() + timedelta(days=1) <= until + timedelta(days=2)
    assert "gültig" in admin.get(f"{ADMIN}/akten/{case_id}").text


def test_audit_view_filters_pages_and_exports_csv(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    reader = browser(ctx)
    login(reader, world.users["caseworker_a1"].username)
    assert reader.get(f"/app/akten/{world.case_a1.id}").status_code == 200
    outsider = browser(ctx)
    login(outsider, world.users["caseworker_b"].username)
    assert outsider.get(f"/app/akten/{world.case_b1.id}").status_code == 200

    person = world.users["caseworker_a1"].id
    page = admin.get(
        f"{ADMIN}/protokoll", params={"person": str(person), "action": "case_file.open"}
    )
    assert page.status_code == 200
    assert str(world.case_a1.id) in page.text
    assert str(world.case_b1.id) not in admin.get(f"{ADMIN}/protokoll").text
    by_akte = admin.get(f"{ADMIN}/protokoll", params={"akte": world.case_a1.aktenzeichen})
    assert "case_file.open" in by_akte.text
    today = datetime.now(UTC).date()
    empty = admin.get(
        f"{ADMIN}/protokoll",
        params={
            "von": (today - timedelta(days=9)).isoformat(),
            "bis": (today - timedelta(days=8)).isoformat(),
        },
    )
    assert "0 Einträge" in empty.text

    exported = admin.get(
        f"{ADMIN}/protokoll.csv", params={"person": str(person), "action": "case_file.open"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and {r["action"] for r in rows} == {"case_file.open"}
    assert {r["object_id"] for r in rows} == {str(world.case_a1.id)}
    # another tenant's Aktenzeichen matches nothing here
    foreign = admin.get(f"{ADMIN}/protokoll", params={"akte": world.case_b1.aktenzeichen})
    assert foreign.status_code == 404


def test_caseworkers_get_403_and_other_tenants_ids_are_refused(ctx, world):
    caseworker = browser(ctx)
    login(caseworker, world.users["caseworker_a1"].username)
    for url in (
        ADMIN,
        f"{ADMIN}/einheiten",
        f"{ADMIN}/aufbewahrung",
        f"{ADMIN}/protokoll",
        f"{ADMIN}/protokoll.csv",
        f"{ADMIN}/mandanten",
        f"{ADMIN}/personen/{world.users['caseworker_a2'].id}",
        f"{ADMIN}/akten/{world.case_a1.id}",
    ):
        assert caseworker.get(url).status_code == 403, url
    assert "Verwaltung" not in caseworker.get("/app").text.split("</nav>")[0]

    other = browser(ctx)
    login(other, _admin_b(ctx, world))
    listing = other.get(ADMIN).text
    assert world.users["caseworker_a1"].username not in listing
    assert world.unit_a1.code not in other.get(f"{ADMIN}/einheiten").text
    for url in (
        f"{ADMIN}/personen/{world.users['caseworker_a1'].id}",
        f"{ADMIN}/akten/{world.case_a1.id}",
    ):
        assert other.get(url).status_code in (403, 404), url
    target = world.users["caseworker_a1"].id
    token = csrf_of(other.get(ADMIN).text)
    for url, data in (
        (f"{ADMIN}/personen/{target}/deaktivieren", {}),
        (f"{ADMIN}/personen/{target}/passwort", {}),
        (f"{ADMIN}/akten/{world.case_a1.id}/freigaben", {"org_unit_id": str(world.unit_b1.id)}),
    ):
        assert other.post(url, data={**data, "csrf_token": token}).status_code in (403, 404)
    with session_scope(ctx.session_factory) as session:
        assert session.get(User, target).is_active


def test_system_admin_lists_and_creates_tenants(ctx, world):
    root = browser(ctx)
    login(root, world.users["system_admin"].username)
    assert root.get(ADMIN).headers["location"] == f"{ADMIN}/mandanten"
    slug = f"jc-{uuid.uuid4().hex[:8]}"
    response = post_form(
        root, f"{ADMIN}/mandanten", f"{ADMIN}/mandanten", {"slug": slug, "name": "Jobcenter Neu"}
    )
    assert response.status_code == 303
    assert slug in root.get(f"{ADMIN}/mandanten").text
    refused = post_form(
        root, f"{ADMIN}/mandanten", f"{ADMIN}/mandanten", {"slug": slug, "name": "x"}
    )
    assert refused.status_code == 409
    assert "schon" in refused.text
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    assert admin.get(f"{ADMIN}/mandanten").status_code == 403


def test_a_service_account_key_is_shown_once_and_can_be_revoked(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    key = _create_person(admin, "scanner.neu", role="importer")
    assert key.startswith("akte_")
    with session_scope(ctx.session_factory) as session:
        user_id = session.query(User).filter_by(username="scanner.neu").one().id
    page = admin.get(f"{ADMIN}/personen/{user_id}").text
    assert key not in page
    key_id = re.search(r"/schluessel/([0-9a-f-]+)/widerrufen", page).group(1)
    response = post_form(
        admin,
        f"{ADMIN}/personen/{user_id}",
        f"{ADMIN}/personen/{user_id}/schluessel/{key_id}/widerrufen",
        {},
    )
    assert response.status_code == 303
    assert "widerrufen" in admin.get(f"{ADMIN}/personen/{user_id}").text
    api = admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 401
