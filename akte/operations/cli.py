"""``akte fsck``: compare database, object storage and search index (see :mod:`.fsck`)."""

from __future__ import annotations

from typing import Annotated

import typer

from akte.operations import backup_cli, scrub_cli

name = "fsck"
app = typer.Typer(help="Consistency of database, object storage and search index")
#: Further top-level commands of this package (``akte scrub``, ``akte backup``,
#: ``akte restore``), mounted beside ``fsck``.
COMMANDS = {
    scrub_cli.name: scrub_cli.app,
    "backup": backup_cli.backup_app,
    "restore": backup_cli.restore_app,
}


@app.callback(invoke_without_command=True)
def fsck(
    repair: Annotated[bool, typer.Option("--repair", help="fix what can be fixed")] = False,
    sample: Annotated[
        int | None, typer.Option(help="re-hash only N random blobs (large stores)")
    ] = None,
    grace_seconds: Annotated[
        float, typer.Option(help="wait before deleting orphans (uploads in flight)")
    ] = 5.0,
) -> None:
    """Report blobs without rows, rows without blobs, checksum mismatches, documents whose
    state waits for nothing, and index drift. Exit 1 if anything is wrong; with --repair,
    exit 1 while something remains that only a person can fix (printed with what to do)."""
    from akte.core.context import AppContext
    from akte.core.settings import get_settings
    from akte.operations.fsck import check

    ctx = AppContext.from_settings(get_settings())
    try:
        report = check(
            ctx, repair=repair, sample=sample, grace_seconds=grace_seconds, progress=typer.echo
        )
    finally:
        ctx.close()
    typer.echo(
        f"blobs {report.blobs}, blob references of versions {report.rows}, "
        f"re-hashed {report.hashed}"
    )
    typer.echo(f"orphaned blobs (no row): {len(report.orphaned)}")
    for digest in report.orphaned[:20]:
        typer.echo(f"  {digest}")
    typer.echo(f"missing blobs (row without blob): {len(report.missing)}")
    for digest, column, version in report.missing[:20]:
        typer.echo(f"  {digest} ({column} of version {version})")
    typer.echo(f"missing blobs of letters, batches, deliveries: {len(report.missing_elsewhere)}")
    for digest, column, row in report.missing_elsewhere[:20]:
        typer.echo(f"  {digest} ({column} of {row}; restore it from backup)")
    typer.echo(f"checksum mismatches: {len(report.corrupt)}")
    for digest in report.corrupt[:20]:
        typer.echo(f"  {digest}")
    typer.echo(f"documents waiting without a processing job: {len(report.stuck)}")
    for document_id, status in report.stuck[:20]:
        typer.echo(f"  {document_id} ({status})")
    typer.echo(f"ready documents without archive PDF or page texts: {len(report.incomplete)}")
    for document_id in report.incomplete[:20]:
        typer.echo(f"  {document_id}")
    typer.echo(f"failed documents whose original is back: {len(report.restored)}")
    for finding in report.findings[:50]:
        typer.echo(f"{finding.check}: {finding.subject}: {finding.problem}")
    if report.index is None:
        typer.echo("search index: not checked (search package not installed)")
    else:
        typer.echo("search index: " + ", ".join(f"{k} {len(v)}" for k, v in report.index.items()))
    typer.echo(f"damaged page texts: {len(report.damaged_texts)}")
    for item in report.damaged_texts[:20]:
        typer.echo(f"  {item} (repair re-processes it from the original)")
    todo = report.needs_person
    if todo:
        typer.echo(f"needs a person ({len(todo)}):")
        for problem, action in todo[:50]:
            typer.echo(f"  {problem}: {action}")
    if repair:
        typer.echo(f"repaired {len(report.repaired)}")
        if todo:
            raise typer.Exit(1)
        if report.repaired:
            typer.echo("run akte fsck again to confirm")
        return
    if report.clean:
        typer.echo("consistent")
        return
    typer.echo("INCONSISTENT: run akte fsck --repair", err=True)
    raise typer.Exit(1)
