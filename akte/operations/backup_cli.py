"""``akte backup DEST`` and ``akte restore SOURCE`` (see :mod:`.backup`, :mod:`.restore`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

backup_app = typer.Typer(help="Back up database, blobs and audit anchors into a folder")
restore_app = typer.Typer(help="Restore a backup into a fresh installation, then verify it")


@backup_app.callback(invoke_without_command=True)
def backup(
    dest: Annotated[
        Path, typer.Argument(help="backup folder (re-using one copies only new blobs)")
    ],
) -> None:
    """One database snapshot, the blobs it names (re-hashed) and the audit anchors up to
    its head; manifest.json last. Safe while akte serves uploads. Exit 1 on failure."""
    from akte.core.context import AppContext
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from akte.operations.backup import create

    ctx = AppContext.from_settings(get_settings())
    try:
        manifest = create(ctx, dest, progress=typer.echo)
    except AkteError as exc:
        typer.echo(f"BACKUP FAILED: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.close()
    typer.echo(
        f"backup complete: {manifest.database} ({manifest.database_file}), "
        f"{manifest.blobs} blobs ({manifest.blobs_copied} new, {manifest.blob_bytes} bytes), "
        f"{manifest.anchors} audit anchors up to seq {manifest.audit_head_seq}"
    )


@restore_app.callback(invoke_without_command=True)
def restore(
    source: Annotated[Path, typer.Argument(help="a folder written by akte backup")],
) -> None:
    """Into an empty database and storage only: database, blobs (re-hashed), anchors, then
    the search index is rebuilt and the result checked with fsck and audit verify. Exit 1
    unless both are clean."""
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from akte.operations.restore import restore as run

    try:
        report = run(get_settings(), source, progress=typer.echo)
    except AkteError as exc:
        typer.echo(f"RESTORE FAILED: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"restored {report.blobs} blobs, {report.anchors} audit anchors; "
        f"indexed {report.indexed} documents"
    )
    typer.echo("fsck: " + ("consistent" if report.fsck_clean else "INCONSISTENT"))
    for problem in report.fsck_problems[:50]:
        typer.echo(f"  {problem}")
    typer.echo(
        "audit log: " + ("intact" if report.audit_ok else "BROKEN") + f" ({report.audit_detail})"
    )
    if not report.ok:
        raise typer.Exit(1)
    typer.echo("restore verified")
