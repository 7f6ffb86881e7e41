"""``akte reprocess``: run document processing again (see :mod:`ingest.reprocess`).

    akte reprocess DOCUMENT_ID [DOCUMENT_ID …]
    akte reprocess --delivery DELIVERY_ID
    akte reprocess --failed [--tenant SLUG]

Jobs are queued in batches (one transaction each) with a progress bar; the workers
(``akte worker``, or the embedded in-process worker) do the processing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

name = "reprocess"
app = typer.Typer(help="Re-run text extraction and OCR for documents")

BATCH = 500


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not a {what} id: {value}") from exc


@app.callback(invoke_without_command=True)
def reprocess(
    document_ids: Annotated[
        list[str] | None, typer.Argument(help="document ids", show_default=False)
    ] = None,
    delivery: Annotated[
        str | None, typer.Option("--delivery", help="every document of this delivery")
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="every failed document")] = False,
    tenant: Annotated[
        str | None, typer.Option(help="with --failed: only this tenant (slug)")
    ] = None,
) -> None:
    """Queue processing for the given documents, a delivery, or all failed documents."""
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from ingest import reprocess as service

    if sum([bool(document_ids), delivery is not None, failed]) != 1:
        raise typer.BadParameter("give document ids, --delivery ID or --failed (one of them)")
    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            if failed:
                targets = service.failed_documents(session, tenant_slug=tenant)
            elif delivery is not None:
                try:
                    targets = service.delivery_documents(session, _uuid(delivery, "delivery"))
                except service.DeliveriesUnavailable:
                    typer.echo(
                        "this installation has no delivery import (ingest.deliveries)", err=True
                    )
                    raise typer.Exit(2) from None
            else:
                targets = [_uuid(value, "document") for value in document_ids or []]
            already = service.queued_documents(session)
        queued = skipped = 0
        with typer.progressbar(length=len(targets), label="queueing") as progress:
            for start in range(0, len(targets), BATCH):
                batch = targets[start : start + BATCH]
                with session_scope(ctx.session_factory) as session:
                    done, passed = service.requeue(session, batch, already)
                queued, skipped = queued + done, skipped + passed
                progress.update(len(batch))
        typer.echo(
            f"queued {queued} documents for processing"
            + (f", skipped {skipped} (missing or already queued)" if skipped else "")
        )
    finally:
        ctx.close()
