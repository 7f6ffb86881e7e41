"""Sealing: never a letter twice, never a cancelled one, safe when sealers race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from akte.core.database import session_scope
from akte.jobs import scheduler
from akte.jobs.models import Job, JobSchedule
from akte.jobs.worker import run_one
from outbox import batching
from outbox import settings as outbox_settings
from outbox.calendar import last_cutoff, legal_delivery_date
from outbox.models import Batch, BatchItem, Letter
from outbox.tasks import SEAL_DUE_TASK
from tests.outbox.conftest import make_pdf, upload


def _letters(client, world, n, **form):
    return [
        upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf(), **form).json()
        for _ in range(n)
    ]


def test_cancelled_letter_never_goes_out(ctx, client, ow):
    world = ow.world
    keep, drop = _letters(client, world, 2)
    cw = world.headers["caseworker_a1"]
    cancelled = client.post(f"/api/v1/letters/{drop['id']}/cancel", headers=cw)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    (result,) = batching.seal(ctx, world.tenant_a.id)
    detail = client.get(
        f"/api/v1/outbox/batches/{result.batch_id}", headers=world.headers["provider_a"]
    ).json()
    assert [e["letter_id"] for e in detail["letters"]] == [keep["id"]]
    late = client.post(f"/api/v1/letters/{keep['id']}/cancel", headers=cw)
    assert late.status_code == 409 and late.json()["error"] == "letter_not_cancellable"
    assert client.get(f"/api/v1/letters/{drop['id']}", headers=cw).json()["batch_id"] is None


def test_concurrent_sealers_never_share_a_letter(ctx, client, ow):
    world = ow.world
    letters = _letters(client, world, 12)
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(working_days=[], max_batch_size=5),
        )
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            batching.seal(ctx, world.tenant_a.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sealer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with session_scope(ctx.session_factory) as session:
        ids = [letter["id"] for letter in letters]
        items = session.execute(
            select(BatchItem.letter_id, BatchItem.batch_id)
            .join(Batch, Batch.id == BatchItem.batch_id)
            .where(Batch.tenant_id == world.tenant_a.id)
        ).all()
        assert sorted(str(i) for i, _ in items) == sorted(ids)  # each exactly once
        sizes = session.execute(
            select(Batch.letter_count, Batch.status).where(Batch.tenant_id == world.tenant_a.id)
        ).all()
        assert all(n <= 5 and status == "ready" for n, status in sizes)
        assert sum(n for n, _ in sizes) == 12
        # the database itself refuses a second batch for a letter
        batch_id = items[0][1]
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(BatchItem(batch_id=batch_id, position=999, letter_id=items[1][0]))
            session.flush()


def test_size_limit_seals_without_waiting_for_the_cutoff(ctx, client, ow):
    world = ow.world
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(working_days=[], max_batch_size=2),
        )
    _letters(client, world, 2, product="einschreiben")
    with session_scope(ctx.session_factory) as session:
        jobs = session.scalars(select(Job).where(Job.kind == "outbox.seal")).all()
        assert any(j.payload["tenant_id"] == str(world.tenant_a.id) for j in jobs)
    while run_one(ctx, kinds=["outbox.seal"]):
        pass
    with session_scope(ctx.session_factory) as session:
        batch = session.scalar(select(Batch).where(Batch.tenant_id == world.tenant_a.id))
        assert batch.letter_count == 2 and batch.product == "einschreiben"


def test_cutoff_seals_letters_queued_before_it(ctx, client, ow):
    world = ow.world
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(
                cutoff_times=["09:00", "14:00"], working_days=[1, 2, 3, 4, 5]
            ),
        )
    _letters(client, world, 1)
    now = datetime.now(UTC)
    assert world.tenant_a.id not in batching.due_tenants(ctx, now)
    next_week = now + timedelta(days=7)
    assert world.tenant_a.id in batching.due_tenants(ctx, next_week)
    results = [r for r in batching.seal_due(ctx, next_week)]
    with session_scope(ctx.session_factory) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Letter)
            .where(Letter.tenant_id == world.tenant_a.id, Letter.status == "batched")
        )
    assert count == 1 and results


def test_cutoff_sealing_is_queued_once_per_period(ctx):
    """``outbox.seal_due`` is a periodic task: the scheduler queues it once per period and
    the run queues no successor of its own."""
    while run_one(ctx, kinds=[SEAL_DUE_TASK]):  # what earlier tests left queued
        pass
    with session_scope(ctx.session_factory) as session:
        # a period no earlier tick on this shared database has taken
        row = session.get(JobSchedule, SEAL_DUE_TASK)
        later = max(datetime.now(UTC), row.next_run_at) if row else datetime.now(UTC)
        queued = scheduler.tick(session, ctx.settings, now=later, names=[SEAL_DUE_TASK])
        again = scheduler.tick(session, ctx.settings, now=later, names=[SEAL_DUE_TASK])
    assert len(queued) == 1 and queued[0].job_id and not again
    assert run_one(ctx, kinds=[SEAL_DUE_TASK])
    with session_scope(ctx.session_factory) as session:
        assert session.get(Job, queued[0].job_id).status == "done"
        assert not session.scalars(
            select(Job).where(Job.kind == SEAL_DUE_TASK, Job.status == "queued")
        ).all()


def test_legal_delivery_date_four_day_rule():
    from datetime import date

    assert legal_delivery_date(date(2025, 12, 15)) == date(2025, 12, 19)  # Mon → Fri
    assert legal_delivery_date(date(2025, 12, 17)) == date(2025, 12, 22)  # Sun → Mon
    assert legal_delivery_date(date(2025, 12, 22)) == date(2025, 12, 29)  # Christmas, weekend
    assert legal_delivery_date(date(2026, 3, 30)) == date(2026, 4, 7)  # Good Fri, Easter
    assert legal_delivery_date(date(2026, 9, 29), [date(2026, 10, 5)]) == date(2026, 10, 6)


def test_last_cutoff_respects_working_days():
    friday_evening = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    cut = last_cutoff(monday_morning, ["14:00"], [1, 2, 3, 4, 5], "Europe/Berlin")
    assert cut is not None and cut.date().isoformat() == "2026-11-20" and cut.hour == 14
    assert last_cutoff(friday_evening, ["14:00"], [], "Europe/Berlin") is None


def test_manifest_says_what_a_print_street_needs(ctx, client, ow):
    import csv
    import io
    import json
    import zipfile

    world = ow.world
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(
                working_days=[],
                return_address="Jobcenter Musterstadt, Postfach 1, 12345 Musterstadt",
                letterhead_lines=["Hauptstraße 1", "12345 Musterstadt"],
            ),
        )
    cw = world.headers["caseworker_a1"]
    evil = ["=HYPERLINK(1) Erika Mustermann", "Hauptstraße 12", "12345 Musterstadt"]
    long_one = upload(
        client, cw, world.case_a1.id, make_pdf(evil, pages=12), product="pzu", color=True
    ).json()
    assert long_one["status"] == "queued", long_one
    (result,) = batching.seal(ctx, world.tenant_a.id)
    provider = world.headers["provider_a"]
    detail = client.get(f"/api/v1/outbox/batches/{result.batch_id}", headers=provider).json()
    (item,) = detail["letters"]
    assert item["recipient_address"] == {
        "name_lines": ["=HYPERLINK(1) Erika Mustermann"],
        "street": "Hauptstraße 12",
        "postcode": "12345",
        "city": "Musterstadt",
        "country": "DE",
    }
    assert item["sender"]["lines"] == ["Hauptstraße 1", "12345 Musterstadt"]
    assert item["return_address"].startswith("Jobcenter Musterstadt")
    assert (item["envelope"], item["weight_class"], item["sheets"]) == ("C4", "grossbrief", 12)
    assert item["color"] is True and item["duplex"] is False
    assert item["pzu"]["aktenzeichen"] == world.case_a1.aktenzeichen
    assert item["pzu"]["issuing_authority"] == world.tenant_a.name
    assert "Zustellungsurkunde" in item["pzu"]["notes"]
    body = client.get(
        f"/api/v1/outbox/batches/{result.batch_id}/download", headers=provider
    ).content
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        in_json = json.loads(zf.read("manifest.json"))["letters"][0]
        (row,) = csv.DictReader(io.StringIO(zf.read("manifest.csv").decode()))
    assert in_json["recipient_address"] == item["recipient_address"]
    assert in_json["pzu"] == item["pzu"]
    assert row["recipient_name"].startswith("'=HYPERLINK")  # no formula in a spreadsheet
    assert row["recipient_postcode"] == "12345" and row["recipient_country"] == "DE"
    assert row["envelope"] == "C4" and row["weight_class"] == "grossbrief"
    assert row["pzu_aktenzeichen"] == world.case_a1.aktenzeichen
