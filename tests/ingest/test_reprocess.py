"""``akte reprocess``: documents, a delivery, everything failed — then the workers finish."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.models import Job
from ingest.cli import app
from ingest.limits import Limits
from ingest.tasks import LIMITS_EXTENSION
from tests.builders import World
from tests.ingest import samples
from tests.ingest.conftest import add_document, load, process, worker_env

runner = CliRunner()


def reprocess(ctx: AppContext, *args: str):
    return runner.invoke(app, list(args), env=worker_env(ctx), catch_exceptions=False)


def queued_jobs_for(ctx: AppContext, document_id: uuid.UUID) -> int:
    with session_scope(ctx.session_factory) as session:
        payloads = session.scalars(
            select(Job.payload).where(Job.kind == "ingest.process_document", Job.status == "queued")
        )
        return sum(1 for p in payloads if p.get("document_id") == str(document_id))


def test_failed_documents_are_processed_again_after_a_fix(ctx: AppContext, world: World) -> None:
    ctx.extensions[LIMITS_EXTENSION] = Limits(max_pages=1)
    try:
        document_id = add_document(ctx, world, samples.text_pdf([samples.LETTER] * 2))
        process(ctx)
    finally:
        del ctx.extensions[LIMITS_EXTENSION]
    document, _, _ = load(ctx, document_id)
    assert document.status == "failed"
    assert document.status_reason == "PDF has 2 pages, more than the limit of 1"

    result = reprocess(ctx, "--failed", "--tenant", world.tenant_a.slug)
    assert result.exit_code == 0, result.output
    assert "queued 1 documents" in result.output
    assert load(ctx, document_id)[0].status == "received"
    process(ctx)
    document, current, pages = load(ctx, document_id)
    assert document.status == "ready" and current.page_count == 2 and len(pages) == 2


def test_one_document_is_queued_once(ctx: AppContext, world: World) -> None:
    document_id = add_document(ctx, world, samples.text_pdf([samples.NOTICE]))
    process(ctx)
    first = reprocess(ctx, str(document_id))
    assert "queued 1 documents" in first.output
    second = reprocess(ctx, str(document_id))
    assert "queued 0 documents" in second.output and "skipped 1" in second.output
    assert queued_jobs_for(ctx, document_id) == 1
    process(ctx)
    assert load(ctx, document_id)[0].status == "ready"


def test_documents_of_a_delivery(ctx: AppContext, world: World) -> None:
    models = pytest.importorskip("ingest.deliveries.models")
    document_id = add_document(ctx, world, samples.text_pdf([samples.NOTICE]))
    other = add_document(ctx, world, samples.text_pdf([samples.LETTER]))
    process(ctx)
    delivery_id = uuid.uuid4()
    digest = hashlib.sha256(b"manifest").hexdigest()
    with session_scope(ctx.session_factory) as session:
        session.add(
            models.Delivery(
                id=delivery_id,
                tenant_id=world.tenant_a.id,
                external_id=f"L-{delivery_id.hex[:8]}",
                channel="cli",
                manifest_sha256=digest,
                manifest_format="csv",
                transfervermerk_sha256=digest,
                transfervermerk_filename="tv.json",
            )
        )
        session.flush()
        session.add(
            models.DeliveryItem(
                delivery_id=delivery_id, key="A-1", document_id=document_id, outcome="processed"
            )
        )
    result = reprocess(ctx, "--delivery", str(delivery_id))
    assert result.exit_code == 0, result.output
    assert "queued 1 documents" in result.output
    assert queued_jobs_for(ctx, document_id) == 1 and queued_jobs_for(ctx, other) == 0
    process(ctx)


def test_exactly_one_selection_is_required(ctx: AppContext) -> None:
    assert reprocess(ctx).exit_code == 2
    assert reprocess(ctx, "--failed", str(uuid.uuid4())).exit_code == 2
    assert reprocess(ctx, "kein-uuid").exit_code == 2


def test_failed_includes_documents_stuck_without_a_job(ctx: AppContext, world: World) -> None:
    """A document left ``processing`` by a job that is dead (as jobs died before dead-job
    hooks existed) has no future but ``reprocess --failed``; one whose job is still
    queued is not touched."""
    from sqlalchemy import update

    from akte.documents.models import Document

    stuck = add_document(ctx, world, samples.text_pdf([samples.NOTICE]))
    waiting = add_document(ctx, world, samples.text_pdf([samples.LETTER]))
    with session_scope(ctx.session_factory) as session:
        for job in session.scalars(
            select(Job).where(Job.kind == "ingest.process_document", Job.status == "queued")
        ):
            if job.payload.get("document_id") == str(stuck):
                job.status, job.last_error = "dead", "killed"
        session.execute(update(Document).where(Document.id == stuck).values(status="processing"))
    result = reprocess(ctx, "--failed", "--tenant", world.tenant_a.slug)
    assert result.exit_code == 0, result.output
    assert queued_jobs_for(ctx, stuck) == 1 and queued_jobs_for(ctx, waiting) == 1
    assert load(ctx, stuck)[0].status == "received"
    process(ctx)
    assert load(ctx, stuck)[0].status == "ready" and load(ctx, waiting)[0].status == "ready"
