"""``akte admin tenant-options`` and ``akte admin aktenzeichen-conflicts``.

Registered on the ``admin`` command group by :mod:`akte.cli`. Without ``--set``/``--unset``
the options are only shown; with them they are changed exactly as over the API (same
checks, same audit entry), acting as the operator (no principal).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def tenant_options(
    tenant: Annotated[str, typer.Argument(help="tenant slug")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="NAME=VALUE (JSON or plain text; lists comma-separated)"),
    ] = None,
    unset: Annotated[list[str] | None, typer.Option(help="NAME to remove")] = None,
) -> None:
    """Show, set or remove a tenant's options (import_org_unit, aktenzeichen_pattern, …)."""
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from akte.tenants import options, service

    changes: dict[str, object] = {}
    for item in set_ or []:
        name, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set {item}: expected NAME=VALUE")
        try:
            changes[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            changes[name.strip()] = raw
    changes.update({name: None for name in unset or []})
    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            found = service.by_slug(session, tenant)
            values = (
                options.update(session, None, found, changes, from_text=True)
                if changes
                else options.read(session, None, found)
            )
    except AkteError as exc:
        typer.echo(f"{exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.close()
    for name, value in values.items():
        shown = "—" if value is None else json.dumps(value, ensure_ascii=False)
        typer.echo(f"{name:28} {shown:30} {options.KNOWN[name].description}")


def aktenzeichen_conflicts(
    tenant: Annotated[str | None, typer.Argument(help="tenant slug (default: all)")] = None,
) -> None:
    """Akten whose Aktenzeichen equals an older one's however typed (kept by the key
    migration without a key); exit 1 while there are any."""
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from akte.tenants import options, service

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            tenant_id = service.by_slug(session, tenant).id if tenant else None
            found = options.conflicts(session, tenant_id)
    finally:
        ctx.close()
    for slug, aktenzeichen, holder in found:
        typer.echo(f"{slug}: {aktenzeichen!r} is the same Aktenzeichen as {holder!r}")
    typer.echo(f"{len(found)} conflict(s)")
    if found:
        raise typer.Exit(1)


def register(admin_app: typer.Typer) -> None:
    admin_app.command("tenant-options")(tenant_options)
    admin_app.command("aktenzeichen-conflicts")(aktenzeichen_conflicts)
