"""Zuständigkeitswechsel in the browser (``/app/verwaltung/wechsel``) through the ASGI app:
the sending admin starts it on the Akte's administration page, the receiving admin sees
it incoming and accepts or refuses, the sender withdraws; a caseworker gets 403 and a
third tenant's admin sees nothing of it. The Chromium journey is in
``test_transfer_browser.py``."""

from __future__ import annotations

from sqlalchemy import select

from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.users.models import Role
from records.models import Transfer
from tests.builders import make_case_file, make_org_unit, make_tenant, make_user
from tests.web.conftest import browser, login, post_form

LIST = "/app/verwaltung/wechsel"


def _admin_of(ctx, tenant, unit) -> str:  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        return make_user(session, tenant, Role.tenant_admin, (unit,)).username


def _start(client, case_file_id, to_tenant: str, reason: str = "Umzug der BG"):  # type: ignore[no-untyped-def]
    page = f"/app/verwaltung/akten/{case_file_id}"
    return post_form(client, page, f"{page}/wechsel", {"to_tenant": to_tenant, "reason": reason})


def _transfer(ctx, case_file_id) -> Transfer:  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        row = session.scalars(
            select(Transfer)
            .where(Transfer.case_file_id == case_file_id)
            .order_by(Transfer.created_at.desc())
        ).first()
        assert row is not None
        session.expunge(row)
        return row


def test_a_transfer_is_started_accepted_and_the_akte_moves(ctx, world):
    sender = browser(ctx)
    login(sender, world.users["admin_a"].username)
    akte_page = sender.get(f"/app/verwaltung/akten/{world.case_a1.id}")
    assert akte_page.text.count("Wechsel beantragen") == 1  # in the page, not its title
    r = _start(sender, world.case_a1.id, world.tenant_b.slug)
    assert r.status_code == 303 and r.headers["location"] == f"{LIST}?msg=transfer_requested"
    outgoing = sender.get(r.headers["location"]).text
    assert "Wechsel beantragt" in outgoing and world.case_a1.aktenzeichen in outgoing
    assert "angefragt" in outgoing and "Zurückziehen" in outgoing
    transfer = _transfer(ctx, world.case_a1.id)

    receiver = browser(ctx)
    login(receiver, _admin_of(ctx, world.tenant_b, world.unit_b1))
    incoming = receiver.get(LIST).text
    assert world.case_a1.aktenzeichen in incoming and "Annehmen" in incoming
    assert f"/app/verwaltung/wechsel/{transfer.id}/annehmen" in incoming
    # the receiver cannot withdraw, the sender cannot accept
    wrong = post_form(receiver, LIST, f"{LIST}/{transfer.id}/zurueckziehen", {})
    assert wrong.status_code == 403 and "andere Seite" in wrong.text
    wrong = post_form(
        sender, LIST, f"{LIST}/{transfer.id}/annehmen", {"org_unit_id": str(world.unit_a1.id)}
    )
    assert wrong.status_code == 403 and "neue Jobcenter" in wrong.text

    accepted = post_form(
        receiver, LIST, f"{LIST}/{transfer.id}/annehmen", {"org_unit_id": str(world.unit_b1.id)}
    )
    assert accepted.status_code == 303, accepted.text
    run_until_idle(ctx)
    with session_scope(ctx.session_factory) as session:
        moved = session.get(CaseFile, world.case_a1.id)
        assert moved is not None and moved.tenant_id == world.tenant_b.id
    assert "übertragen" in receiver.get(LIST).text
    after = sender.get(LIST).text
    assert "übertragen" in after and world.case_a1.aktenzeichen in after


def test_refused_and_withdrawn_and_errors_in_german(ctx, world):
    with session_scope(ctx.session_factory) as session:
        from akte.tenants.models import OrgUnit, Tenant

        tenant_a = session.get(Tenant, world.tenant_a.id)
        unit_a = session.get(OrgUnit, world.unit_a1.id)
        second = make_case_file(session, tenant_a, unit_a).id
    sender = browser(ctx)
    login(sender, world.users["admin_a"].username)
    unknown = _start(sender, world.case_a1.id, "gibt-es-nicht")
    assert unknown.status_code == 422
    assert "Einen Mandanten mit diesem Kurznamen gibt es nicht." in unknown.text

    assert _start(sender, world.case_a1.id, world.tenant_b.slug).status_code == 303
    twice = _start(sender, world.case_a1.id, world.tenant_b.slug)
    assert twice.status_code == 409 and "schon ein Wechsel beantragt" in twice.text
    first = _transfer(ctx, world.case_a1.id)
    r = post_form(sender, LIST, f"{LIST}/{first.id}/zurueckziehen", {})
    assert r.status_code == 303 and r.headers["location"].endswith("transfer_withdrawn")
    assert _transfer(ctx, world.case_a1.id).status == "cancelled"

    assert _start(sender, second, world.tenant_b.slug).status_code == 303
    receiver = browser(ctx)
    login(receiver, _admin_of(ctx, world.tenant_b, world.unit_b1))
    refused = post_form(receiver, LIST, f"{LIST}/{_transfer(ctx, second).id}/ablehnen", {})
    assert refused.status_code == 303
    assert _transfer(ctx, second).status == "refused"
    assert "abgelehnt" in sender.get(LIST).text


def test_caseworkers_get_403_and_a_third_tenant_sees_nothing(ctx, world):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    assert _start(admin, world.case_a1.id, world.tenant_b.slug).status_code == 303
    transfer = _transfer(ctx, world.case_a1.id)

    worker = browser(ctx)
    login(worker, world.users["caseworker_a1"].username)
    assert worker.get(LIST).status_code == 403
    token_page = worker.get(f"/app/akten/{world.case_a1.id}").text
    from tests.web.conftest import csrf_of

    token = csrf_of(token_page)
    for url, data in (
        (f"/app/verwaltung/akten/{world.case_a1.id}/wechsel", {"to_tenant": "x", "reason": "abc"}),
        (f"{LIST}/{transfer.id}/annehmen", {"org_unit_id": str(world.unit_a1.id)}),
        (f"{LIST}/{transfer.id}/ablehnen", {}),
        (f"{LIST}/{transfer.id}/zurueckziehen", {}),
    ):
        assert worker.post(url, data={**data, "csrf_token": token}).status_code == 403, url

    with session_scope(ctx.session_factory) as session:
        third = make_tenant(session, name="Jobcenter Drittstadt")
        unit = make_org_unit(session, third)
        make_case_file(session, third, unit)
    outsider = browser(ctx)
    login(outsider, _admin_of(ctx, third, unit))
    listing = outsider.get(LIST)
    assert listing.status_code == 200
    assert str(transfer.id) not in listing.text
    assert world.case_a1.aktenzeichen not in listing.text
    assert "Keine eingehenden Akten." in listing.text and "Keine abgegebenen Akten." in listing.text
    refused = post_form(outsider, LIST, f"{LIST}/{transfer.id}/ablehnen", {})
    assert refused.status_code == 404
    assert _transfer(ctx, world.case_a1.id).status == "requested"
