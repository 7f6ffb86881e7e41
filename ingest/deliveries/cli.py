"""``akte import PATH --tenant T``: import a delivery folder or ZIP on the server.

Shows a progress bar, prints the counts and writes the report CSV at the end. Re-running
after an interruption continues where the last run stopped and imports nothing twice.
Exit status: 0 when every row was imported, 3 when some rows were rejected or failed,
1 when the delivery could not be read at all (2 is Click's usage error). With ``--check``
nothing is stored: the plan of every row is written as CSV, exit 3 if a row would be
rejected or the Transfervermerk is not acceptable. With ``--follow`` the command then waits
until the delivery is searchable (exit 4 if ``--follow-timeout`` passes first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from akte.core.settings import get_settings

name = "import"
#: A callback-only app (mounted as ``akte import``); interspersed arguments let options
#: follow PATH, which a Click group would otherwise hand to a sub-command.
app = typer.Typer(
    help="Import a scanning contractor's delivery (folder or ZIP)",
    context_settings={"allow_interspersed_args": True},
)


@app.callback(invoke_without_command=True)
def import_delivery(
    path: Annotated[Path, typer.Argument(help="delivery folder or ZIP file", exists=True)],
    tenant: Annotated[str, typer.Option("--tenant", help="tenant slug")],
    delivery_id: Annotated[
        str | None, typer.Option(help="delivery id (default: from the Transfervermerk)")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="where to write the report CSV")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="dry run: report what each row would do, store nothing")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="then wait until the delivery is searchable, with an ETA"),
    ] = False,
    follow_timeout: Annotated[
        float | None,
        typer.Option(help="stop following after this many seconds (exit 4 if not searchable yet)"),
    ] = None,
    follow_interval: Annotated[float, typer.Option(help="seconds between checks")] = 2.0,
) -> None:
    """Import the delivery at PATH into tenant T."""
    from akte.core.context import AppContext
    from ingest.deliveries.runner import ImportFailed, run

    ctx = AppContext.from_settings(get_settings())
    if check:
        _check(ctx, path, tenant, report)
        return
    columns = (TextColumn("Import"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, disable=quiet, transient=False) as bar:
            task = bar.add_task("import", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run(
                ctx, path, tenant, delivery_external_id=delivery_id, report_path=report, tick=tick
            )
    except ImportFailed as exc:
        ctx.close()
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(1) from None
    except BaseException:
        ctx.close()
        raise
    p = result.progress
    typer.echo(
        f"Lieferung {result.external_id} ({result.delivery_id}): {p.total} rows, "
        f"{p.received} accepted ({p.processed} processed, {p.failed} failed), "
        f"{p.rejected} rejected, {p.pending} pending"
    )
    typer.echo(f"report: {result.report_path}")
    try:
        failed = p.failed
        if follow:
            state = _follow(ctx, result.delivery_id, follow_interval, follow_timeout, quiet)
            if not state.searchable:
                typer.echo("not yet searchable: " + state.line(), err=True)
                raise typer.Exit(4)
            typer.echo(f"searchable: {state.processed} processed, {state.failed} failed")
            failed = state.failed
    finally:
        ctx.close()
    if p.rejected or failed:
        raise typer.Exit(3)


def _check(ctx, path: Path, tenant: str, report: Path | None) -> None:
    """The pre-check: counts per outcome, the plan CSV; exit 3 if any row would fail."""
    from ingest.deliveries.precheck import PrecheckFailed, check_path

    target = report or Path.cwd() / f"vorpruefung-{path.name}.csv"
    try:
        counts, tv_error = check_path(ctx, path, tenant, target)
    except PrecheckFailed as exc:
        typer.echo(f"check failed: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.close()
    typer.echo(
        "Vorprüfung (nothing stored): "
        + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    )
    typer.echo("Transfervermerk: " + (tv_error or "ok"))
    typer.echo(f"plan: {target}")
    if counts.get("rejected") or tv_error:
        raise typer.Exit(3)


def _follow(ctx, delivery_id, interval: float, timeout: float | None, quiet: bool):
    """Wait until searchable; a live line with counts, rate and ETA (plain lines if quiet)."""
    from rich.live import Live
    from rich.text import Text

    from ingest.deliveries.follow import follow

    if quiet:
        return follow(ctx, delivery_id, interval=interval, timeout=timeout)
    with Live(Text("Verarbeitung …"), transient=False, refresh_per_second=2) as live:
        return follow(
            ctx,
            delivery_id,
            interval=interval,
            timeout=timeout,
            show=lambda state: live.update(Text("Verarbeitung: " + state.line())),
        )
