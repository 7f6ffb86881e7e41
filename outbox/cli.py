"""``akte outbox``: seal now, assign providers to tenants (cut-off sealing is periodic: see
``akte schedule``)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

name = "outbox"
app = typer.Typer(
    help="Postausgang: letters and batches for the print provider", no_args_is_help=True
)


def _context():
    from akte.core.context import AppContext
    from akte.core.settings import get_settings

    return AppContext.from_settings(get_settings())


@app.command()
def seal(
    tenant: Annotated[str | None, typer.Option(help="tenant slug (default: every tenant)")] = None,
    product: Annotated[str | None, typer.Option(help="one postal product only")] = None,
) -> None:
    """Seal every queued letter into batches now, regardless of cut-off times."""
    from akte.core.database import session_scope
    from akte.tenants.models import Tenant
    from outbox import batching
    from outbox.models import Letter

    ctx = _context()
    try:
        with session_scope(ctx.session_factory) as session:
            stmt = select(Tenant.id, Tenant.slug)
            if tenant:
                stmt = stmt.where(Tenant.slug == tenant)
            else:
                stmt = stmt.where(
                    Tenant.id.in_(select(Letter.tenant_id).where(Letter.status == "queued"))
                )
            tenants = session.execute(stmt).all()
        if tenant and not tenants:
            raise typer.BadParameter(f"no tenant {tenant!r}")
        for tenant_id, slug in tenants:
            typer.echo(f"{slug}: sealing …")
            for result in batching.seal(ctx, tenant_id, product):
                typer.echo(f"  batch {result.batch_id}: {result.letter_count} letters")
    finally:
        ctx.close()


@app.command("assign-provider")
def assign_provider(provider: str, tenant: str) -> None:
    """Let a print provider (username) serve another tenant (slug)."""
    from akte.core.database import session_scope
    from akte.tenants.models import Tenant
    from akte.users.models import User
    from outbox.models import ProviderAssignment

    ctx = _context()
    try:
        with session_scope(ctx.session_factory) as session:
            user = session.scalar(
                select(User).where(User.username == provider, User.role == "print_provider")
            )
            target = session.scalar(select(Tenant).where(Tenant.slug == tenant))
            if user is None or target is None:
                raise typer.BadParameter("unknown print provider or tenant")
            if session.get(ProviderAssignment, (user.id, target.id)) is None:
                session.add(ProviderAssignment(provider_id=user.id, tenant_id=target.id))
        typer.echo(f"{provider} serves {tenant}")
    finally:
        ctx.close()
