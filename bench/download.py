"""Download throughput with verified reads against the same downloads unverified.

One app on a real uvicorn server on loopback serves each file two ways: the real route
(``GET /api/v1/documents/{id}/content``: every chunk checked against its recorded SHA-256
before it is sent) and a bench-only route that is identical except that it streams
straight from storage (``storage.iter_range``, what akte did before). Both are fetched in
alternating rounds in the same run; the ratio is verified/unverified throughput (target
of issue 23: ≥ 0.9). Cases: a large file (full and 1 MiB ranges at unaligned offsets) and
many small files (full and a 4 KiB range).

Then the scrub: its rate when bounded (``--scrub-rate`` MB/s: it must stay at or below)
and unbounded, against the I/O bound of the same blobs (reading them from storage without
hashing).

Run: ``python -m bench.download [--backend embedded|production|both] [--large-mb 64]
[--small 200] [--rounds 5] [--scrub-rate 20]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from fastapi import Request, Response

from akte.app import create_app
from akte.auth.dependencies import CurrentUser
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.dependencies import DbSession, Storage
from akte.core.migrations import upgrade
from akte.core.ranges import ranged_response
from akte.core.settings import Settings
from akte.documents import service
from akte.operations.scrub import scrub
from tests.builders import make_world
from tests.infra.ports import free_port, wait_for_port

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
MIB = 1024 * 1024


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(max(size - 16, 1)) + b"\n%%EOF\n"


def _add_unverified_route(app, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    """The download route as it was before verified reads: the baseline."""

    @app.get("/bench/unverified/{document_id}")
    def unverified(
        document_id: uuid.UUID,
        request: Request,
        session: DbSession,
        storage: Storage,
        user: CurrentUser,
    ) -> Response:
        download = service.resolve_download(
            session, storage, user, document_id, version_no=None, rendition="original"
        )
        session.commit()
        return ranged_response(
            request,
            size=download.size,
            etag=download.sha256,
            media_type=download.mime_type,
            filename=download.filename,
            open_range=lambda start, end: storage.iter_range(download.sha256, start, end),
        )


def _serve(app) -> tuple[uvicorn.Server, threading.Thread, int]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 30)
    return server, thread, port


def _fetch(client: httpx.Client, url: str, headers: dict[str, str]) -> int:
    got = 0
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code in (200, 206), response.status_code
        for piece in response.iter_raw(MIB):
            got += len(piece)
    return got


def _timed(client: httpx.Client, url: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    got = _fetch(client, url, headers)
    return got, time.perf_counter() - started


def _case(name, client, verified, unverified, headers_for, rounds):  # type: ignore[no-untyped-def]
    """Each request's two variants back to back (order swapped every round), so the load
    other processes put on the machine hits both alike; MB/s from the summed times."""
    seconds = {"v": 0.0, "u": 0.0}
    total = {"v": 0, "u": 0}
    for n in range(rounds):
        for i, (a, b) in enumerate(zip(verified, unverified, strict=True)):
            pair = [("v", a), ("u", b)] if n % 2 == 0 else [("u", b), ("v", a)]
            for kind, url in pair:
                got, took = _timed(client, url, headers_for(i))
                total[kind] += got
                seconds[kind] += took
    va, vb = (total[k] / MIB / seconds[k] for k in ("v", "u"))
    print(
        f"  {name:<34} verified {va:8.1f} MB/s  unverified {vb:8.1f} MB/s  "
        f"ratio {va / vb:.2f} ({'ok' if va / vb >= 0.9 else 'below 0.9'})"
    )


def run(backend: str, large_mb: int, small: int, rounds: int, scrub_rate: float) -> None:
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="akte-bench-dl-")))
        options: dict[str, object] = {
            "env": "test",
            "data_dir": work,
            "secret_key": SECRET,
            "inprocess_worker": False,
            "scrub_interval_seconds": 0,
        }
        if backend == "production":
            from tests.infra.postgres import fresh_database, postgres_server
            from tests.infra.s3 import s3_server

            url = stack.enter_context(fresh_database(stack.enter_context(postgres_server())))
            s3 = stack.enter_context(s3_server())
            options.update(
                database_url=url,
                storage_backend="s3",
                s3_endpoint=s3.endpoint,
                s3_access_key=s3.access_key,
                s3_secret_key=s3.secret_key,
                s3_bucket="bench-download",
            )
        settings = Settings(**options)  # type: ignore[arg-type]
        upgrade(settings.effective_database_url)
        ctx = AppContext.from_settings(settings)
        stack.callback(ctx.close)
        world = make_world(ctx)
        app = create_app(ctx=ctx, start_worker=False)
        _add_unverified_route(app, ctx)
        server, thread, port = _serve(app)
        stack.callback(thread.join, 10)
        stack.callback(setattr, server, "should_exit", True)
        headers = world.headers["caseworker_a1"]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:

            def upload(data: bytes) -> str:
                response = client.post(
                    f"/api/v1/case-files/{world.case_a1.id}/documents",
                    files={"file": ("f.pdf", data, "application/pdf")},
                    headers=headers,
                )
                assert response.status_code == 201, response.text
                return response.json()["id"]

            large = upload(_pdf(large_mb * MIB))
            smalls = [upload(_pdf(100 * 1024)) for _ in range(small)]
            rng = random.Random(23)
            print(
                f"backend={backend} large={large_mb} MiB small={small}×100 KiB "
                f"rounds={rounds} (MB/s over all requests)"
            )
            full = lambda i: headers  # noqa: E731
            _case(
                f"large full ({large_mb} MiB)",
                client,
                [f"/api/v1/documents/{large}/content"],
                [f"/bench/unverified/{large}"],
                full,
                rounds,
            )
            starts = [rng.randrange(0, (large_mb - 2) * MIB) for _ in range(16)]

            def ranged(i: int) -> dict[str, str]:
                return {**headers, "Range": f"bytes={starts[i]}-{starts[i] + MIB - 1}"}

            _case(
                "large, 16 × 1 MiB unaligned ranges",
                client,
                [f"/api/v1/documents/{large}/content"] * 16,
                [f"/bench/unverified/{large}"] * 16,
                ranged,
                rounds,
            )
            small_starts = [rng.randrange(0, (large_mb - 1) * MIB) for _ in range(16)]

            def viewer(i: int) -> dict[str, str]:  # a PDF viewer's 64 KiB pieces
                return {**headers, "Range": f"bytes={small_starts[i]}-{small_starts[i] + 65535}"}

            _case(
                "large, 16 × 64 KiB ranges",
                client,
                [f"/api/v1/documents/{large}/content"] * 16,
                [f"/bench/unverified/{large}"] * 16,
                viewer,
                rounds,
            )
            _case(
                f"small full ({small} files)",
                client,
                [f"/api/v1/documents/{d}/content" for d in smalls],
                [f"/bench/unverified/{d}" for d in smalls],
                full,
                rounds,
            )
            tiny = lambda i: {**headers, "Range": "bytes=5000-9095"}  # noqa: E731
            _case(
                f"small, 4 KiB range ({small} files)",
                client,
                [f"/api/v1/documents/{d}/content" for d in smalls],
                [f"/bench/unverified/{d}" for d in smalls],
                tiny,
                rounds,
            )
        _scrub_figures(ctx, scrub_rate)


def _scrub_figures(ctx: AppContext, rate: float) -> None:
    from akte.operations import blobrefs

    with session_scope(ctx.session_factory) as session:
        digests = sorted(blobrefs.all_referenced(session))
    started, total = time.perf_counter(), 0
    for sha in digests:  # the I/O bound: the same reads, no hashing, no database
        for piece in ctx.storage.iter_range(sha):
            total += len(piece)
    io_bound = total / 1e6 / (time.perf_counter() - started)
    free = scrub(ctx, rate_mb_s=None)
    bounded = scrub(ctx, rate_mb_s=rate)
    assert free.clean and bounded.clean
    print(
        f"  scrub of {free.checked} blobs ({free.bytes_read / 1e6:.0f} MB): unbounded "
        f"{free.mb_per_second:.1f} MB/s = {free.mb_per_second / io_bound:.2f} × the I/O bound "
        f"({io_bound:.1f} MB/s raw reads); bounded at {rate:g} MB/s: "
        f"{bounded.mb_per_second:.1f} MB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["embedded", "production", "both"], default="both")
    parser.add_argument("--large-mb", type=int, default=64)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scrub-rate", type=float, default=20.0)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    for backend in ["embedded", "production"] if args.backend == "both" else [args.backend]:
        run(backend, args.large_mb, args.small, args.rounds, args.scrub_rate)


if __name__ == "__main__":
    main()
