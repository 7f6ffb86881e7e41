"""Push providers: sealed batches uploaded to the E-POSTBUSINESS API (a local stand-in that
follows its public description), states polled into the same status model."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from akte.core.database import session_scope
from akte.jobs.models import Job
from akte.jobs.worker import run_one
from outbox import batching
from outbox import settings as outbox_settings
from outbox.addresses import PostalAddress
from outbox.models import Batch, Letter, PushItem
from outbox.push import service as push
from outbox.push.base import ProviderUnavailable
from tests.outbox.epost_standin import LOGIN, EPostStandIn

RECIPIENT = "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt"


@pytest.fixture
def standin(ctx):
    """The stand-in server; afterwards the test's push jobs are removed, so no later test's
    worker tries a server that is gone."""
    with EPostStandIn() as server:
        yield server
    with session_scope(ctx.session_factory) as session:
        for job in session.scalars(
            select(Job).where(
                Job.kind.in_([push.PUSH_TASK, push.POLL_TASK]), Job.status == "queued"
            )
        ):
            session.delete(job)


def _configure(ctx, tenant_id, url: str, poll_seconds: int = 60) -> None:
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            tenant_id,
            outbox_settings.TenantOutboxSettings(
                working_days=[],
                sender_address=PostalAddress(
                    name_lines=["Jobcenter Musterstadt"],
                    street="Postfach 10 01",
                    postcode="12345",
                    city="Musterstadt",
                ),
                push_provider=outbox_settings.PushProviderSettings(
                    kind="epost",
                    base_url=url,
                    vendor_id=LOGIN["vendorID"],
                    ekp=LOGIN["ekp"],
                    secret=LOGIN["secret"],
                    password=LOGIN["password"],
                    test_mode=True,
                    poll_seconds=poll_seconds,
                ),
            ),
        )


def _letter(client, headers, case_id, **form) -> dict:
    response = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=headers,
        data={"subject": "Bescheid", "body": "Text", **form},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _batches(ctx, results) -> dict[str, Batch]:
    with session_scope(ctx.session_factory) as session:
        found = {}
        for result in results:
            batch = session.get(Batch, result.batch_id)
            session.expunge(batch)
            found[batch.product] = batch
        return found


def test_batches_are_uploaded_and_provider_states_become_letter_statuses(ctx, client, ow, standin):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    _configure(ctx, world.tenant_a.id, standin.url)
    plain = _letter(client, cw, case_id, recipient=RECIPIENT)
    austrian = _letter(
        client,
        cw,
        case_id,
        recipient_address=json.dumps(
            {
                "name_lines": ["Max Huber"],
                "street": "Stephansplatz 1",
                "postcode": "1010",
                "city": "Wien",
                "country": "AT",
            }
        ),
    )
    registered = _letter(client, cw, case_id, recipient=RECIPIENT, product="einschreiben")
    pzu = _letter(client, cw, case_id, recipient=RECIPIENT, product="pzu")

    batches = _batches(ctx, batching.seal(ctx, world.tenant_a.id))
    assert batches["standardbrief"].push_provider == "epost"
    assert batches["einschreiben"].push_provider == "epost"
    assert batches["pzu"].push_provider is None  # E-POST has no PZU: the pull API keeps it
    with session_scope(ctx.session_factory) as session:
        queued = {
            job.payload.get("batch_id")
            for job in session.scalars(select(Job).where(Job.kind == push.PUSH_TASK))
        }
    assert {str(batches[p].id) for p in ("standardbrief", "einschreiben")} <= queued
    provider = world.headers["provider_a"]
    listed = {
        b["id"]
        for b in client.get("/api/v1/outbox/batches?size=100", headers=provider).json()["items"]
    }
    assert str(batches["pzu"].id) in listed
    assert str(batches["standardbrief"].id) not in listed
    assert client.get(f"/api/v1/outbox/letters/{plain['id']}", headers=provider).status_code == 404
    assert client.get(f"/api/v1/outbox/letters/{pzu['id']}", headers=provider).status_code == 200

    while run_one(ctx, kinds=[push.PUSH_TASK]):  # the worker runs the upload jobs
        pass
    assert push.push_batch(ctx, batches["einschreiben"].id) == 0
    assert push.push_batch(ctx, batches["standardbrief"].id) == 0  # nothing twice
    assert len(standin.letters) == 3
    sent = standin.letters[standin.by_custom1(austrian["id"])]
    assert (
        sent["addressLine1"],
        sent["addressLine2"],
        sent["zipCode"],
        sent["city"],
        sent["country"],
    ) == ("Max Huber", "Stephansplatz 1", "1010", "Wien", "ÖSTERREICH")
    assert sent["testFlag"] is True and sent["isColor"] is False
    assert (sent["senderStreet"], sent["senderZipCode"]) == ("Postfach 10 01", "12345")
    assert hashlib.sha256(base64.b64decode(sent["data"])).hexdigest() == austrian["sha256"]
    assert "country" not in standin.letters[standin.by_custom1(plain["id"])]
    assert (
        standin.letters[standin.by_custom1(registered["id"])]["registeredLetter"] == "Einschreiben"
    )
    read = client.get(f"/api/v1/letters/{plain['id']}", headers=cw).json()
    assert read["status"] == "handed_over"
    assert read["history"][-1]["detail"]["push_provider"] == "epost"

    # the provider's dates are the tenant's calendar days: between midnight in Berlin and
    # midnight UTC the machine's date.today() is the day before the batch was sealed
    today = _tenant_today(ctx, world.tenant_a.id).isoformat()
    standin.set_state(
        standin.by_custom1(plain["id"]), statusID=4, printFeedbackDate=f"{today}T09:30:00+01:00"
    )
    standin.set_state(
        standin.by_custom1(austrian["id"]),
        statusID=99,
        errorList=[{"level": "Error", "code": "E301", "description": "Anschrift unvollständig"}],
    )
    standin.set_state(
        standin.by_custom1(registered["id"]),
        statusID=4,
        printFeedbackDate=f"{today}T09:30:00",
        registeredLetterID="RR123456785DE",
        registeredLetterStatus="DELIVERED",
        registeredLetterStatusDate=f"{today}T11:00:00",
    )
    standin.expire_tokens()  # the token ran out: the adapter logs in again
    logins = standin.logins
    assert push.poll_batch(ctx, batches["standardbrief"].id) is False  # all final
    assert push.poll_batch(ctx, batches["einschreiben"].id) is False
    assert standin.logins == logins + 1

    posted = client.get(f"/api/v1/letters/{plain['id']}", headers=cw).json()
    assert (posted["status"], posted["posted_on"], posted["legal_date_source"]) == (
        "posted",
        today,
        "fiction",
    )
    assert posted["legal_delivery_date"] > today
    rejected = client.get(f"/api/v1/letters/{austrian['id']}", headers=cw).json()
    assert (rejected["status"], rejected["rejection_code"]) == ("rejected", "epost_e301")
    assert rejected["rejection_reason"] == "Anschrift unvollständig"
    delivered = client.get(f"/api/v1/letters/{registered['id']}", headers=cw).json()
    assert (delivered["status"], delivered["tracking_number"], delivered["delivered_on"]) == (
        "delivered",
        "RR123456785DE",
        today,
    )
    history = [e["status"] for e in delivered["history"]]
    assert history[-4:] == ["handed_over", "printed", "posted", "delivered"]
    # asked again, nothing changes
    assert (
        push.apply_states(
            ctx,
            "epost",
            push.adapter_for(_rules(ctx, world.tenant_a.id)).poll(
                [str(standin.by_custom1(registered["id"]))]
            ),
        )
        == 0
    )


def _tenant_today(ctx, tenant_id):
    return datetime.now(ZoneInfo(_rules(ctx, tenant_id).timezone)).date()


def _rules(ctx, tenant_id):
    with session_scope(ctx.session_factory) as session:
        return outbox_settings.get(session, tenant_id)


def test_an_outage_uploads_nothing_and_a_contradiction_is_kept_not_applied(
    ctx, client, ow, standin
):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    _configure(ctx, world.tenant_a.id, standin.url)
    letter = _letter(client, cw, case_id, recipient=RECIPIENT)
    letter_id = uuid.UUID(letter["id"])
    (result,) = batching.seal(ctx, world.tenant_a.id)
    standin.outage = 503
    with pytest.raises(ProviderUnavailable):
        push.push_batch(ctx, result.batch_id)
    with session_scope(ctx.session_factory) as session:
        assert session.get(Letter, letter_id).status == "batched"
        assert session.scalar(select(PushItem).where(PushItem.batch_id == result.batch_id)) is None
    standin.outage = None
    assert push.push_batch(ctx, result.batch_id) == 1
    with session_scope(ctx.session_factory) as session:
        polls = session.scalars(select(Job).where(Job.kind == push.POLL_TASK)).all()
        assert any(job.payload == {"batch_id": str(result.batch_id)} for job in polls)

    tomorrow = (_tenant_today(ctx, world.tenant_a.id) + timedelta(days=2)).isoformat()
    standin.set_state(
        standin.by_custom1(letter["id"]), statusID=4, printFeedbackDate=f"{tomorrow}T09:00:00"
    )
    push.poll_batch(ctx, result.batch_id)
    with session_scope(ctx.session_factory) as session:
        item = session.get(PushItem, letter_id)
        assert item.last_error and "future" in item.last_error
        assert session.get(Letter, letter_id).status == "handed_over"


def test_push_credentials_are_never_shown_and_survive_a_settings_round_trip(
    ctx, client, ow, standin
):
    world = ow.world
    admin = world.headers["admin_a"]
    _configure(ctx, world.tenant_a.id, standin.url)
    shown = client.get("/api/v1/outbox/settings", headers=admin).json()
    assert shown["push_provider"]["secret"] == outbox_settings.MASK
    assert shown["push_provider"]["password"] == outbox_settings.MASK
    shown["push_provider"]["poll_seconds"] = 120
    assert client.put("/api/v1/outbox/settings", headers=admin, json=shown).status_code == 200
    stored = _rules(ctx, world.tenant_a.id).push_provider
    assert (stored.secret, stored.password, stored.poll_seconds) == (
        LOGIN["secret"],
        LOGIN["password"],
        120,
    )
    shown["push_provider"]["kind"] = "somewhere"
    assert client.put("/api/v1/outbox/settings", headers=admin, json=shown).status_code == 422


def test_a_letter_the_provider_cannot_take_is_rejected_before_upload(ctx, client, ow, standin):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    _configure(ctx, world.tenant_a.id, standin.url)
    five_names = _letter(
        client,
        cw,
        case_id,
        recipient_address=json.dumps(
            {
                "name_lines": [
                    "Firma Beispiel GmbH",
                    "Abteilung Personal",
                    "z. Hd. Frau Kaya",
                    "c/o Nachbarn",
                    "Hinterhaus",
                ],
                "street": "Hauptstraße 12",
                "postcode": "12345",
                "city": "Musterstadt",
                "country": "DE",
            }
        ),
    )
    plain = _letter(client, cw, case_id, recipient=RECIPIENT)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    assert push.push_batch(ctx, result.batch_id) == 1
    assert [body["custom1"] for body in standin.letters.values()] == [plain["id"]]
    refused = client.get(f"/api/v1/letters/{five_names['id']}", headers=cw).json()
    assert (refused["status"], refused["rejection_code"]) == ("rejected", "push_refused")
    assert "Namenszeilen" in refused["rejection_reason"]
    assert (
        client.get(f"/api/v1/letters/{plain['id']}", headers=cw).json()["status"] == "handed_over"
    )
