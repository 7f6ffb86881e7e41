"""Upload memory and throughput: a 200 MB scan through a real server on loopback.

Prints the server's resident memory before and at the peak of the upload (sampled every
20 ms by a second thread) and the upload throughput against copying the same file on disk
(the limit on this machine). The target of issue 2: peak RSS less than 150 MB above the
baseline. Run: ``python -m bench.upload [--size-mb 200] [--backend embedded|production]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from akte.core.migrations import upgrade
from tests.infra.ports import free_port, wait_for_port

PASSWORD = "bench-password-123"


def _make_file(path: Path, size_mb: int) -> None:
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.4\n")
        block = os.urandom(1024 * 1024)
        for _ in range(size_mb):
            fh.write(block)
        fh.write(b"\n%%EOF\n")


def _seed(env: dict[str, str]) -> None:
    akte = str(Path(sys.executable).parent / "akte")
    run = lambda *a: subprocess.run([akte, *a], env=env, check=True, capture_output=True)  # noqa: E731
    run("admin", "create-tenant", "bench", "Bench")
    run("admin", "create-org-unit", "bench", "LB", "Leistung")
    run("admin", "create-user", "bench-sb", "caseworker", "--tenant", "bench", "--org-unit", "LB")


def _sample_peak(pid: int, stop: threading.Event, out: dict[str, int]) -> None:
    proc = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            out["peak"] = max(out.get("peak", 0), proc.memory_info().rss)
        time.sleep(0.02)


def run(size_mb: int, backend: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="akte-bench-upload-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKTE_")}
    env.update(
        AKTE_DATA_DIR=str(work / "data"),
        AKTE_NEW_PASSWORD=PASSWORD,
        AKTE_MAX_UPLOAD_BYTES=str((size_mb + 10) * 1024 * 1024),
        AKTE_INPROCESS_WORKER="false",
    )
    with contextlib.ExitStack() as stack:
        if backend == "production":
            from tests.infra.postgres import fresh_database, postgres_server
            from tests.infra.s3 import s3_server

            url = stack.enter_context(fresh_database(stack.enter_context(postgres_server())))
            s3 = stack.enter_context(s3_server())
            env.update(
                AKTE_DATABASE_URL=url,
                AKTE_STORAGE_BACKEND="s3",
                AKTE_S3_ENDPOINT=s3.endpoint,
                AKTE_S3_ACCESS_KEY=s3.access_key,
                AKTE_S3_SECRET_KEY=s3.secret_key,
                AKTE_S3_BUCKET="bench-upload",
            )
        os.environ.update({k: v for k, v in env.items() if k.startswith("AKTE_")})
        (work / "data").mkdir()
        from akte.core.settings import Settings

        upgrade(Settings().effective_database_url)
        _seed(env)
        source = work / "scan.pdf"
        _make_file(source, size_mb)
        started = time.perf_counter()
        shutil.copyfile(source, work / "copy.pdf")
        copy_seconds = time.perf_counter() - started
        (work / "copy.pdf").unlink()

        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "akte.asgi:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        stack.callback(server.wait, 30)
        stack.callback(server.terminate)
        assert wait_for_port(port, 60)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            token = client.post(
                "/api/v1/auth/token", data={"username": "bench-sb", "password": PASSWORD}
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            case_file = client.post(
                "/api/v1/case-files",
                headers=headers,
                json={
                    "aktenzeichen": "AZ-BENCH-1",
                    "org_unit_id": client.get("/api/v1/auth/me", headers=headers).json()[
                        "org_unit_ids"
                    ][0],
                },
            ).json()
            time.sleep(1)
            baseline = psutil.Process(server.pid).memory_info().rss
            stop, peak = threading.Event(), {}
            sampler = threading.Thread(target=_sample_peak, args=(server.pid, stop, peak))
            sampler.start()
            started = time.perf_counter()
            with source.open("rb") as fh:
                response = client.post(
                    f"/api/v1/case-files/{case_file['id']}/documents",
                    files={"file": ("scan.pdf", fh, "application/pdf")},
                    headers=headers,
                )
            upload_seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
            assert response.status_code == 201, response.text
    shutil.rmtree(work, ignore_errors=True)
    size = source.stat().st_size if source.exists() else size_mb * 1024 * 1024
    over = (peak["peak"] - baseline) / 2**20
    print(f"backend={backend} file={size_mb} MB")
    print(
        f"  server RSS baseline {baseline / 2**20:.0f} MB, peak {peak['peak'] / 2**20:.0f} MB, "
        f"over baseline {over:.0f} MB (target < 150 MB: {'ok' if over < 150 else 'MISSED'})"
    )
    print(
        f"  upload {size_mb / upload_seconds:.0f} MB/s vs disk copy {size_mb / copy_seconds:.0f} MB/s"
        f" (ratio {copy_seconds / upload_seconds:.2f})"
    )
    _ = size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--backend", choices=["embedded", "production", "both"], default="both")
    args = parser.parse_args()
    for backend in ["embedded", "production"] if args.backend == "both" else [args.backend]:
        run(args.size_mb, backend)


if __name__ == "__main__":
    main()
