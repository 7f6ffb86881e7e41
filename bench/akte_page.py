"""The Akte page and the API document list at 100, 1,000 (and 10,000) documents.

Before issue 25 the Akte page rendered every document (1,504 rows: 394 KB of HTML). Now it
shows one page of 50, so its time and size should stay flat as the Akte grows. Each size
is its own Akte in the same run; ratios are against the smallest Akte (flat is 1.0).
Printed per size: median time of the page (HTML) and of the API list (JSON, 50 items), the
page's bytes as sent plain and gzipped, and the same with the title sort and a ``q``
search within the Akte (which reads the recognised text: not flat, but bounded by the
Akte's size).

Run: ``python -m bench.akte_page [--sizes 100,1000,10000] [--rounds 7]`` (embedded:
SQLite and a local blob folder; document rows are written directly, no files).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.migrations import upgrade
from tests.builders import make_case_file, make_world
from tests.conftest import embedded_settings
from tests.search.conftest import add_document
from tests.web.conftest import login


def _fill(ctx: AppContext, world, count: int):  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        case_file = make_case_file(session, world.tenant_a, world.unit_a1)
        for n in range(count):
            add_document(
                session,
                case_file,
                title=f"Nachweis {n:05d}",
                doc_type=("Bescheid", "Antrag", "Kontoauszug")[n % 3],
                pages=[f"Seite eins von Nachweis {n} mit etwas Text"],
                status="received",
            )
        return case_file.id


def _median(client: TestClient, url: str, rounds: int, **headers: str) -> tuple[float, int]:
    times, size = [], 0
    client.get(url, headers=headers)  # warm-up: templates, statement caches
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text[:300]
        size = int(response.headers.get("content-length") or len(response.content))
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        settings = embedded_settings(Path(folder))
        upgrade(settings.effective_database_url)
        ctx = AppContext.from_settings(settings)
        world = make_world(ctx)
        akten = {n: _fill(ctx, world, n) for n in sizes}
        with TestClient(create_app(ctx=ctx, start_worker=False), follow_redirects=False) as client:
            login(client, world.users["caseworker_a1"].username)
            api = world.headers["caseworker_a1"]
            rows = []
            for n, akte_id in akten.items():
                page = f"/app/akten/{akte_id}"
                t_page, plain = _median(
                    client, page, args.rounds, **{"Accept-Encoding": "identity"}
                )
                _, packed = _median(client, page, 1, **{"Accept-Encoding": "gzip"})
                t_sorted, _ = _median(client, f"{page}?sort=title&order=asc&page=2", args.rounds)
                t_q, _ = _median(client, f"{page}?q=Nachweis+{n // 2}", args.rounds)
                t_api, _ = _median(
                    client, f"/api/v1/case-files/{akte_id}/documents", args.rounds, **api
                )
                rows.append((n, t_page, plain, packed, t_sorted, t_q, t_api))
        ctx.close()
    base = rows[0]
    print(
        f"{'docs':>6} {'page ms':>8} {'ratio':>6} {'bytes':>8} {'gzip':>7} "
        f"{'sort ms':>8} {'q ms':>8} {'api ms':>7} {'ratio':>6}"
    )
    for n, t_page, plain, packed, t_sorted, t_q, t_api in rows:
        print(
            f"{n:>6} {t_page * 1000:8.1f} {t_page / base[1]:6.2f} {plain:8d} {packed:7d} "
            f"{t_sorted * 1000:8.1f} {t_q * 1000:8.1f} {t_api * 1000:7.1f} "
            f"{t_api / base[6]:6.2f}"
        )


if __name__ == "__main__":
    main()
