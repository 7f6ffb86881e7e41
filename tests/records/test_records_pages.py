"""Who may open the pages for exports and the Aussonderung (the same checks as the API):
the Aussonderung is the tenant admins' alone; an Akte's exports are seen by its readers and
requested by its owners; nothing of another tenant or org unit is shown."""

from __future__ import annotations

from akte.core.database import session_scope
from tests.builders import World, make_case_file
from tests.web.conftest import browser, csrf_of, login


def _closed_akte(ctx, world: World):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from akte.tenants.models import OrgUnit, Tenant

    with session_scope(ctx.session_factory) as session:
        return make_case_file(
            session,
            session.get(Tenant, world.tenant_a.id),
            session.get(OrgUnit, world.unit_a1.id),
            status="closed",
            closed_at=datetime.now(UTC),
        ).aktenzeichen


def test_only_the_tenants_admins_work_the_aussonderung(ctx, world: World):
    number = _closed_akte(ctx, world)
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    page = admin.get("/app/aussonderung")
    assert page.status_code == 200 and "Aussonderung an das Archiv" in page.text
    done = admin.post(
        "/app/aussonderung",
        data={
            "recipient": "Landesarchiv",
            "aktenzeichen": f"{number}\n",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert done.status_code == 303, done.text
    detail_url = done.headers["location"].split("?")[0]
    detail = admin.get(detail_url)
    assert number in detail.text and "angeboten" in detail.text
    unknown = admin.post(
        "/app/aussonderung",
        data={
            "recipient": "Landesarchiv",
            "aktenzeichen": "AZ-GIBT-ES-NICHT",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert unknown.status_code == 422 and "Unbekanntes Aktenzeichen" in unknown.text

    worker = browser(ctx)
    login(worker, world.users["caseworker_a1"].username)
    assert worker.get("/app/aussonderung").status_code == 403
    assert "Aussonderung" not in worker.get("/app").text.split("<main")[0]
    assert worker.get(detail_url).status_code == 404
    assert worker.get(f"{detail_url}/angebot").status_code == 404
    other = browser(ctx)
    login(other, world.users["caseworker_b"].username)
    assert other.get(detail_url).status_code == 404


def test_exports_page_shows_readers_and_lets_only_owners_request(ctx, world: World):
    owner = browser(ctx)
    login(owner, world.users["caseworker_a1"].username)
    url = f"/app/akten/{world.case_a1.id}/exporte"
    page = owner.get(url)
    assert page.status_code == 200 and "Export anfordern" in page.text
    sent = owner.post(
        url,
        data={
            "kind": "court",
            "recipient": "Sozialgericht Gotha",
            "csrf_token": csrf_of(page.text),
        },
    )
    # the Akte has no processed documents: refused with the reason, in the page layout
    assert sent.status_code == 422 and "Dokumente" in sent.text
    stranger = browser(ctx)
    login(stranger, world.users["caseworker_b"].username)
    assert stranger.get(url).status_code == 404
    other_unit = browser(ctx)
    login(other_unit, world.users["caseworker_a2"].username)
    assert other_unit.get(url).status_code == 404
