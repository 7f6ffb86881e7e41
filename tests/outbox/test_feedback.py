"""Provider feedback as it happens: rejections, returns after delivery, tracking numbers,
proof documents that set the legal delivery date, impossible dates, unknown fields."""

from __future__ import annotations

from datetime import date, timedelta

from outbox import batching
from tests.outbox.conftest import make_pdf
from tests.outbox.test_lifecycle import BASE, _ack, _backdate, _create_rendered, _report


def _sealed(ctx, client, world, product="standardbrief", backdate=True):
    """One letter of ``product``, sealed, downloaded and acknowledged."""
    letter = _create_rendered(
        client, world.headers["caseworker_a1"], world.case_a1.id, product=product
    )
    (result,) = batching.seal(ctx, world.tenant_a.id)
    if backdate:
        _backdate(ctx, result.batch_id)
    assert _ack(client, world.headers["provider_a"], result.batch_id).status_code == 200
    return letter


def _seen(client, world, letter):
    return client.get(
        f"/api/v1/letters/{letter['id']}", headers=world.headers["caseworker_a1"]
    ).json()


def test_rejected_letter_leaves_handed_over_with_its_reason(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = _sealed(ctx, client, world)
    no_code = _report(client, provider, letter["id"], "rejected", reason="PDF beschädigt")
    assert no_code.status_code == 422 and no_code.json()["error"] == "reason_required"
    answer = _report(
        client,
        provider,
        letter["id"],
        "rejected",
        reason_code="pdf_damaged",
        reason="Seite 2 lässt sich nicht rastern",
    )
    assert answer.status_code == 200, answer.text
    seen = _seen(client, world, letter)
    assert seen["status"] == "rejected"
    assert seen["rejection_code"] == "pdf_damaged"
    assert seen["rejection_reason"] == "Seite 2 lässt sich nicht rastern"
    assert [e["status"] for e in seen["history"]][-1] == "rejected"
    # a rejected letter was never posted: a later "posted" contradicts it
    posted = _report(client, provider, letter["id"], "posted", date="2025-12-02")
    assert posted.status_code == 409 and posted.json()["error"] == "report_conflict"
    again = _report(
        client,
        provider,
        letter["id"],
        "rejected",
        reason_code="pdf_damaged",
        reason="Seite 2 lässt sich nicht rastern",
    )
    assert again.status_code == 200 and again.json()["changed"] is False


def test_returned_after_delivery_is_kept_and_flagged(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = _sealed(ctx, client, world)
    _report(client, provider, letter["id"], "posted", date="2025-12-17")
    _report(client, provider, letter["id"], "delivered", date="2025-12-18")
    back = _report(client, provider, letter["id"], "returned", reason="Annahme verweigert")
    assert back.status_code == 200
    seen = _seen(client, world, letter)
    assert seen["status"] == "returned" and seen["return_after_delivery"] is True
    assert seen["return_reason"] == "Annahme verweigert"
    assert [e["status"] for e in seen["history"]][-2:] == ["delivered", "returned"]


def test_tracking_number_for_einschreiben_only(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    registered = _sealed(ctx, client, world, product="einschreiben")
    posted = _report(
        client,
        provider,
        registered["id"],
        "posted",
        date="2025-12-17",
        tracking_number="RR123456785DE",
    )
    assert posted.status_code == 200 and posted.json()["tracking_number"] == "RR123456785DE"
    assert _seen(client, world, registered)["tracking_number"] == "RR123456785DE"
    other = _report(
        client,
        provider,
        registered["id"],
        "posted",
        date="2025-12-17",
        tracking_number="RR999999995DE",
    )
    assert other.status_code == 409 and other.json()["error"] == "tracking_conflict"
    plain = _sealed(ctx, client, world)
    refused = _report(
        client, provider, plain["id"], "posted", date="2025-12-17", tracking_number="RR123456785DE"
    )
    assert refused.status_code == 422 and refused.json()["error"] == "tracking_not_applicable"


def test_rueckschein_sets_the_legal_delivery_date(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = _sealed(ctx, client, world, product="einschreiben_rueckschein")
    posted = _report(client, provider, letter["id"], "posted", date="2025-12-17").json()
    assert posted["legal_delivery_date"] == "2025-12-22"  # four-day rule until proven
    # delivered reported from tracking first, the Rückschein scan follows later
    early = _report(client, provider, letter["id"], "delivered", date="2025-12-18").json()
    assert early["legal_delivery_date"] == "2025-12-22" and early["proof_received"] is False
    scan = make_pdf(["Rückschein", "Erika Mustermann", "12345 Musterstadt"])
    proven = _report(
        client,
        provider,
        letter["id"],
        "delivered",
        date="2025-12-18",
        files={"file": ("rueckschein.pdf", scan, "application/pdf")},
    )
    assert proven.status_code == 200 and proven.json()["changed"] is True
    seen = _seen(client, world, letter)
    assert seen["legal_delivery_date"] == "2025-12-18"  # the Rückschein's date, not 4 days
    assert seen["legal_date_source"] == "proof"
    proof = client.get(
        f"/api/v1/documents/{seen['proof_document_id']}", headers=world.headers["caseworker_a1"]
    ).json()
    assert proof["doc_type"] == "Rückschein"
    plain = _sealed(ctx, client, world)
    _report(client, provider, plain["id"], "posted", date="2025-12-17")
    refused = _report(
        client,
        provider,
        plain["id"],
        "delivered",
        date="2025-12-18",
        files={"file": ("x.pdf", scan, "application/pdf")},
    )
    assert refused.status_code == 422 and refused.json()["error"] == "proof_not_applicable"


def test_impossible_dates_are_409_with_a_reason(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    fresh = _sealed(ctx, client, world, backdate=False)  # sealed today
    before = _report(client, provider, fresh["id"], "posted", date="2019-01-02")
    assert before.status_code == 409 and before.json()["error"] == "date_before_sealing"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = _report(client, provider, fresh["id"], "posted", date=tomorrow)
    assert future.status_code == 409 and future.json()["error"] == "date_in_future"
    letter = _sealed(ctx, client, world)
    _report(client, provider, letter["id"], "posted", date="2025-12-17")
    early = _report(client, provider, letter["id"], "delivered", date="2025-12-16")
    assert early.status_code == 409 and early.json()["error"] == "date_before_posting"
    assert "2025-12-17" in early.json()["detail"]
    other = _sealed(ctx, client, world)
    _report(client, provider, other["id"], "delivered", date="2025-12-10")
    late_post = _report(client, provider, other["id"], "posted", date="2025-12-11")
    assert late_post.status_code == 409 and late_post.json()["error"] == "date_after_delivery"
    seen = _seen(client, world, letter)
    assert seen["posted_on"] == "2025-12-17" and seen["delivered_on"] is None


def test_unknown_fields_are_refused(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = _sealed(ctx, client, world, product="einschreiben")
    answer = _report(
        client, provider, letter["id"], "posted", date="2025-12-17", sendungsnummer="RR123456785DE"
    )
    assert answer.status_code == 422 and answer.json()["error"] == "unknown_field"
    assert "sendungsnummer" in answer.json()["detail"]
    assert _seen(client, world, letter)["status"] == "handed_over"  # nothing recorded
    bad = client.post(
        f"{BASE}/letters/{letter['id']}/status", headers=provider, data={"status": "lost"}
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_report"
    empty = _report(client, provider, letter["id"], "printed", date="")  # empty = absent
    assert empty.status_code == 200 and empty.json()["status"] == "printed"


def test_the_akte_page_shows_what_the_provider_reported(ctx, client, ow):
    from tests.web.conftest import browser, login

    world = ow.world
    provider = world.headers["provider_a"]
    proven = _sealed(ctx, client, world, product="einschreiben_rueckschein")
    _report(
        client, provider, proven["id"], "posted", date="2025-12-17", tracking_number="RR123456785DE"
    )
    scan = make_pdf(["Rückschein", "Erika Mustermann", "12345 Musterstadt"])
    _report(
        client,
        provider,
        proven["id"],
        "delivered",
        date="2025-12-18",
        files={"file": ("rueckschein.pdf", scan, "application/pdf")},
    )
    back = _sealed(ctx, client, world)
    _report(client, provider, back["id"], "posted", date="2025-12-16")
    _report(client, provider, back["id"], "returned", reason="Empfänger unbekannt verzogen")
    refused = _sealed(ctx, client, world)
    _report(
        client,
        provider,
        refused["id"],
        "rejected",
        reason_code="address_unreadable",
        reason="Anschrift im Fenster nicht lesbar",
    )
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    page = web.get(f"/app/akten/{world.case_a1.id}").text
    assert "eingeliefert (am 17.12.2025)" in page  # the posting date, not the report's arrival
    assert "zugestellt (am 18.12.2025)" in page
    assert "18.12.2025 laut Zustellnachweis" in page
    assert "RR123456785DE" in page
    seen = _seen(client, world, proven)
    assert f'href="/app/documents/{seen["proof_document_id"]}"' in page
    assert "Empfänger unbekannt verzogen" in page
    assert "vom Druckdienstleister abgelehnt" in page
    assert "Anschrift im Fenster nicht lesbar" in page
