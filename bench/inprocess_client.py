"""The suite's in-process client (``tests/client.py``) against Starlette's ``TestClient``.

Both clients send the same ``GET /api/v1/case-files/{id}`` as a caseworker to one app over
a migrated SQLite copy, in alternating rounds (the machines are noisy; a ratio within one
run is what counts). Printed per round and as the median: the CPU milliseconds per request
of this process (the app's threads included) and the ratio one-hop / Starlette.

Run: ``python -m bench.inprocess_client [--requests 1000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient as StarletteTestClient

from akte.app import create_app
from akte.core.context import AppContext
from tests.builders import make_world
from tests.client import TestClient as OneHopTestClient
from tests.conftest import embedded_settings
from tests.infra.templates import migrated_sqlite


def _cpu_ms_per_request(client_class: type, app, path: str, headers, requests: int) -> float:  # type: ignore[no-untyped-def]
    with client_class(app) as client:
        for _ in range(20):  # warm: the routes' validation, the statement cache
            assert client.get(path, headers=headers).status_code == 200
        started = time.process_time()
        for _ in range(requests):
            client.get(path, headers=headers)
        return (time.process_time() - started) / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        migrated_sqlite(data_dir)
        ctx = AppContext.from_settings(embedded_settings(data_dir))
        world = make_world(ctx)
        app = create_app(ctx=ctx, start_worker=False)
        path = f"/api/v1/case-files/{world.case_a1.id}"
        headers = world.headers["caseworker_a1"]
        starlette, one_hop = [], []
        for round_no in range(1, args.rounds + 1):
            starlette.append(
                _cpu_ms_per_request(StarletteTestClient, app, path, headers, args.requests)
            )
            one_hop.append(_cpu_ms_per_request(OneHopTestClient, app, path, headers, args.requests))
            print(
                f"round {round_no}: Starlette {starlette[-1]:.2f} CPU-ms/request, "
                f"one hop {one_hop[-1]:.2f} ({one_hop[-1] / starlette[-1]:.2f}x)"
            )
        ctx.close()
    s, o = statistics.median(starlette), statistics.median(one_hop)
    print(f"median: Starlette {s:.2f}, one hop {o:.2f} CPU-ms/request: {o / s:.2f}x")


if __name__ == "__main__":
    main()
