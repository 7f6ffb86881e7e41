"""``akte retention run``: list what is due, then (after confirmation) delete it."""

from __future__ import annotations

from typing import Annotated

import typer

name = "retention"
app = typer.Typer(help="Aufbewahrungsfristen: due documents, deletion", no_args_is_help=True)


@app.command("run")
def run(
    yes: Annotated[bool, typer.Option("--yes", help="delete without asking")] = False,
    tenant: Annotated[str | None, typer.Option(help="only this tenant (slug)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list")] = False,
) -> None:
    """List every document whose retention period has passed; delete them after
    confirmation (rows, all blobs no other row uses, index entries), with an audit record."""
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from akte.retention import service
    from akte.retention.run import execute

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            tenant_id = None
            if tenant:
                from akte.tenants import service as tenants

                tenant_id = tenants.by_slug(session, tenant).id
            due = service.due_documents(session, tenant_id=tenant_id)
        for item in due:
            typer.echo(f"{item.aktenzeichen:20} {item.title[:40]:40} {item.reason}")
        typer.echo(f"{len(due)} document(s) due for deletion")
        if not due or dry_run:
            return
        if not yes and not typer.confirm("delete them irrevocably?", default=False):
            typer.echo("nothing deleted")
            raise typer.Exit(1)
        result = execute(ctx, due, progress=typer.echo)
        typer.echo(
            f"deleted {len(result.documents)} document(s), {len(result.case_files)} Akte(n), "
            f"{len(result.blobs)} blob(s); skipped {len(result.skipped)} (held or gone)"
        )
    finally:
        ctx.close()
