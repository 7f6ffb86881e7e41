"""``akte scrub``: re-hash stored blobs at a bounded rate (see :mod:`.scrub`)."""

from __future__ import annotations

from typing import Annotated

import typer

name = "scrub"
app = typer.Typer(help="Re-hash stored blobs at a bounded read rate and report damage")


@app.callback(invoke_without_command=True)
def scrub(
    rate: Annotated[
        float | None, typer.Option(help="read at most this many MB/s (default: the setting)")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="re-hash at most N blobs, least recently verified first")
    ] = None,
    blob: Annotated[
        list[str] | None, typer.Option(help="scrub exactly this blob (SHA-256; repeatable)")
    ] = None,
) -> None:
    """Read every blob a row needs, compare it with its SHA-256 and recorded size, mark
    damage in the database and print what to do; exit 1 if anything is damaged or missing."""
    from akte.core.context import AppContext
    from akte.core.settings import get_settings
    from akte.operations.scrub import scrub as run

    settings = get_settings()
    ctx = AppContext.from_settings(settings)
    try:
        report = run(
            ctx,
            rate_mb_s=rate or settings.scrub_rate_mb_s,
            limit=limit,
            blobs=blob or None,
            progress=typer.echo,
        )
    finally:
        ctx.close()
    typer.echo(
        f"scrubbed {report.checked} blob(s), {report.bytes_read / 1e6:.1f} MB in "
        f"{report.seconds:.1f} s ({report.mb_per_second:.1f} MB/s); digests recorded for "
        f"{report.recorded}, restored {len(report.restored)}"
    )
    for finding in report.findings:
        typer.echo(f"  {finding.advice()}", err=True)
    if report.findings:
        typer.echo(f"DAMAGE: {len(report.findings)} blob(s) need attention", err=True)
        raise typer.Exit(1)
    typer.echo("all scrubbed blobs intact")
