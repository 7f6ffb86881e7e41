"""``akte search reindex`` and ``akte search check [--repair]``."""

from __future__ import annotations

import time
from typing import Annotated

import typer

name = "search"
app = typer.Typer(help="The full-text search index", no_args_is_help=True)


def _context():  # type: ignore[no-untyped-def]
    from akte.core.context import AppContext
    from akte.core.settings import get_settings

    return AppContext.from_settings(get_settings())


def _progress(start: float):  # type: ignore[no-untyped-def]
    def report(message: str, count: int) -> None:
        elapsed = time.monotonic() - start
        rate = count / elapsed if elapsed > 0 else 0.0
        typer.echo(f"  {count:>9} documents  {rate:7.0f}/s  {message}")

    return report


@app.command()
def reindex() -> None:
    """Rebuild the index from the database. Search keeps answering from the old index
    until each tenant's new index is swapped in."""
    from search import indexing

    ctx = _context()
    try:
        start = time.monotonic()
        total = indexing.get(ctx).reindex(ctx, _progress(start))
        typer.echo(f"indexed {total} documents in {time.monotonic() - start:.1f}s")
    finally:
        ctx.close()


@app.command()
def check(
    repair: Annotated[bool, typer.Option(help="re-index what is missing or stale")] = False,
) -> None:
    """Report documents missing from, stale in or orphaned in the index."""
    from search import indexing

    ctx = _context()
    try:
        report = indexing.get(ctx).check(ctx, repair=repair, progress=_progress(time.monotonic()))
        typer.echo(
            f"checked {report.checked}: missing {len(report.missing)}, "
            f"stale {len(report.stale)}, orphaned {len(report.orphaned)}"
        )
        for label, ids in (
            ("missing", report.missing),
            ("stale", report.stale),
            ("orphaned", report.orphaned),
        ):
            for doc_id in ids[:20]:
                typer.echo(f"  {label:8} {doc_id}")
        if report.repaired:
            typer.echo("repaired")
        elif not report.clean:
            raise typer.Exit(code=1)
    finally:
        ctx.close()
