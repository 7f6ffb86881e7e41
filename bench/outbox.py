"""Outbox benchmark: seal 1,000 and 10,000 letters, stream the ZIP through the HTTP API.

Prints, for each size: sealing throughput (letters/s) and the sealing process's peak RSS
(it must stay flat: the ZIP is streamed to a temporary file, rows are read in chunks), and
for the large batch the download rate through the real API (uvicorn on loopback, httpx
streaming) against ``cat`` of the same ZIP file and of the same PDFs (the limit).

What still grows with the batch (about 0.6 KB per letter): zipfile's central directory (one
``ZipInfo`` per entry, written at the end) and the list of claimed letter ids.

Letters are inserted directly (documents and letter rows in bulk, small distinct PDFs in
the local blob store): sealing is what is measured. Run: ``python -m bench.outbox``.

The print check (``--printcheck [N]`` runs only this part, on N letters): 1,000 letters rendered from the
template (distinct names, 1–3 pages), then checked as on upload (``prepare_letter`` +
``check_letter``); pages per second, against two baselines over the same pages in the same
run: bare parsing (pypdf opens each PDF and decodes every page's content stream: what any
check must at least do) and pdfplumber text extraction of every page (the check reads every
page's objects with it, so this is its practical floor).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
SIZES = (1_000, 10_000)


def _settings(data_dir: Path):
    from akte.core.settings import Settings

    return Settings(env="test", data_dir=data_dir, secret_key=SECRET, inprocess_worker=False)


def small_pdf(n: int) -> bytes:
    """A valid one-page A4 PDF of ~16 KB with a unique address, built without reportlab."""
    filler = "".join(
        f"BT /F1 9 Tf 72 {450 - (i % 40) * 10} Td (Zeile {i} Brief {n}) Tj ET\n" for i in range(420)
    )
    content = (
        f"BT /F1 10 Tf 71 620 Td (Erika Mustermann {n}) Tj ET\n"
        f"BT /F1 10 Tf 71 608 Td (Hauptstrasse {n % 200 + 1}) Tj ET\n"
        f"BT /F1 10 Tf 71 596 Td (12345 Musterstadt) Tj ET\n{filler}"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def populate(ctx, n: int) -> tuple[uuid.UUID, list[str]]:
    """A tenant with ``n`` queued letters; returns the tenant id and the PDFs' hashes."""
    from sqlalchemy import insert

    from akte.core.database import session_scope, utcnow
    from akte.documents.models import Document
    from outbox import settings as outbox_settings
    from outbox.models import Letter
    from tests.builders import make_case_file, make_org_unit, make_tenant

    with session_scope(ctx.session_factory) as session:
        tenant = make_tenant(session)
        case = make_case_file(session, tenant, make_org_unit(session, tenant))
        outbox_settings.put(
            session,
            tenant.id,
            outbox_settings.TenantOutboxSettings(max_batch_size=100_000, working_days=[]),
        )
        tenant_id, case_id, az = tenant.id, case.id, case.aktenzeichen
    hashes = []
    for start in range(0, n, 1000):
        docs, letters = [], []
        for i in range(start, min(n, start + 1000)):
            info = ctx.storage.put_bytes(small_pdf(i))
            hashes.append(info.sha256)
            doc_id = uuid.uuid4()
            docs.append(
                {
                    "id": doc_id,
                    "tenant_id": tenant_id,
                    "case_file_id": case_id,
                    "title": f"Brief {i}",
                    "source": "letter",
                    "status": "ready",
                }
            )
            letters.append(
                {
                    "tenant_id": tenant_id,
                    "case_file_id": case_id,
                    "document_id": doc_id,
                    "aktenzeichen": az,
                    "subject": f"Brief {i}",
                    "recipient": f"Erika Mustermann {i}\nHauptstrasse 1\n12345 Musterstadt",
                    "product": "standardbrief",
                    "page_count": 1,
                    "sheet_count": 1,
                    "sha256": info.sha256,
                    "size": info.size,
                    "status": "queued",
                    "created_at": utcnow(),
                }
            )
        with session_scope(ctx.session_factory) as session:
            session.execute(insert(Document), docs)
            session.execute(insert(Letter), letters)
    return tenant_id, hashes


def _seal_child(data_dir: str, tenant_id: str, queue) -> None:
    """Seal in a fresh process; RSS is sampled every 5 ms while sealing runs, because the
    process's lifetime peak (``ru_maxrss``) is set by start-up, not by sealing."""
    import psutil

    from akte.core.context import AppContext
    from outbox import batching

    ctx = AppContext.from_settings(_settings(Path(data_dir)))
    process = psutil.Process()
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    results = batching.seal(ctx, uuid.UUID(tenant_id))
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put((elapsed, [str(r.batch_id) for r in results], before, peak, lifetime))
    ctx.close()


def seal_in_child(data_dir: Path, tenant_id: uuid.UUID):
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue()
    proc = mp.Process(target=_seal_child, args=(str(data_dir), str(tenant_id), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data_dir: Path) -> tuple[subprocess.Popen, int]:
    """The real API in its own process (uvicorn), as a provider would reach it."""
    port = _free_port()
    env = {
        **os.environ,
        "AKTE_DATA_DIR": str(data_dir),
        "AKTE_SECRET_KEY": SECRET,
        "AKTE_ENV": "test",
        "AKTE_INPROCESS_WORKER": "false",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "akte.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the API did not start")


def download_httpx(url: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    total = 0
    with httpx.stream("GET", url, headers=headers, timeout=120) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(1024 * 1024):
            total += len(chunk)
    return time.perf_counter() - started, total


def download_curl(url: str, headers: dict[str, str]) -> tuple[float, int]:
    args = ["curl", "-sS", "--fail", "-o", os.devnull, "-w", "%{size_download}"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    started = time.perf_counter()
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - started, int(out)


def cat_seconds(paths: list[Path]) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for start in range(0, len(paths), 2000):
            subprocess.run(["cat", *map(str, paths[start : start + 2000])], stdout=sink, check=True)
    return time.perf_counter() - started


PRINTCHECK_LETTERS = 1_000
NAMES = ("Ayşe Yılmaz", "Łukasz Wąsik", "Nguyễn Văn Thắng", "Jiří Dvořák", "Ştefan Popa")


def render_batch(n: int) -> list[bytes]:
    from datetime import date

    from outbox.render import LetterContent, render_letter

    paragraph = "Sehr geehrte Damen und Herren, bitte reichen Sie die Unterlagen ein. " * 12
    return [
        render_letter(
            LetterContent(
                sender_name="Jobcenter Musterstadt",
                aktenzeichen=f"AZ-{i}",
                subject=f"Brief {i}",
                recipient_lines=[
                    f"{NAMES[i % len(NAMES)]} {i}",
                    f"Hauptstraße {i % 200 + 1}",
                    "12345 Musterstadt",
                ],
                body="\n\n".join([paragraph] * (2 + 4 * (i % 3))),
                letter_date=date(2026, 11, 30),
                return_address="Jobcenter Musterstadt · Postfach 1 · 12345 Musterstadt",
            )
        )
        for i in range(n)
    ]


def printcheck_bench(n: int = PRINTCHECK_LETTERS) -> None:
    """Pages per second of the print check against pdfplumber text extraction."""
    import io

    import pdfplumber

    from outbox.validation import check_letter, prepare_letter

    started = time.perf_counter()
    pdfs = render_batch(n)
    render_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pages = 0
    for pdf in pdfs:
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            for page in document.pages:
                page.extract_text()
                pages += 1
    base = time.perf_counter() - started
    from pypdf import PdfReader

    started = time.perf_counter()
    for pdf in pdfs:
        for page in PdfReader(io.BytesIO(pdf)).pages:
            page.get_contents().get_data()
    bare = time.perf_counter() - started
    started = time.perf_counter()
    for pdf in pdfs:
        check_letter(prepare_letter(io.BytesIO(pdf)), max_pages=20, color=False)
    check = time.perf_counter() - started
    print(
        f"rendered {n} letters ({pages} pages): {n / render_seconds:6.1f} letters/s "
        f"(with the address read back)"
    )
    print(f"print check          : {pages / check:6.1f} pages/s ({check:.1f} s)")
    print(
        f"baseline pdfplumber  : {pages / base:6.1f} pages/s ({base:.1f} s), "
        f"open + extract text of every page"
    )
    print(
        f"baseline bare parsing: {pages / bare:6.1f} pages/s ({bare:.1f} s), "
        f"pypdf open + decode every page's content stream"
    )
    print(
        f"print check / pdfplumber baseline: {base / check:.2f} of its speed; "
        f"/ bare parsing: {bare / check:.3f} of its speed"
    )


def main() -> None:
    if "--printcheck" in sys.argv[1:]:
        args = sys.argv[sys.argv.index("--printcheck") + 1 :]
        printcheck_bench(int(args[0]) if args else PRINTCHECK_LETTERS)
        return
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.migrations import upgrade
    from akte.core.storage import blob_key
    from akte.users.models import Role
    from outbox.models import Batch
    from tests.builders import api_key_headers, make_user

    with tempfile.TemporaryDirectory(prefix="akte-bench-outbox-") as tmp:
        data_dir = Path(tmp)
        settings = _settings(data_dir)
        upgrade(settings.effective_database_url)
        ctx = AppContext.from_settings(settings)
        rows = []
        for n in SIZES:
            started = time.perf_counter()
            tenant_id, hashes = populate(ctx, n)
            print(f"prepared {n} letters in {time.perf_counter() - started:.1f} s")
            elapsed, batches, before, peak, lifetime = seal_in_child(data_dir, tenant_id)
            rows.append((n, elapsed, before, peak, batches, tenant_id, hashes))
            print(
                f"sealed {n:>6} letters: {n / elapsed:8.0f} letters/s ({elapsed:.1f} s); "
                f"RSS at start {before / 2**20:.0f} MiB, peak while sealing "
                f"{peak / 2**20:.0f} MiB (+{(peak - before) / 2**20:.0f}); "
                f"process lifetime peak {lifetime / 2**20:.0f} MiB"
            )
        n, _, _, _, batches, tenant_id, hashes = rows[-1]
        with session_scope(ctx.session_factory) as session:
            batch = session.get(Batch, uuid.UUID(batches[0]))
            zip_sha, zip_size = batch.zip_sha256, batch.zip_size
            provider = make_user(
                session, _tenant(session, tenant_id), Role.print_provider, password_hash=None
            )
            headers = api_key_headers(session, provider)
        proc, port = serve(data_dir)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/outbox/batches/{batches[0]}/download"
            seconds, total = download_httpx(url, headers)
            curl_seconds, curl_total = download_curl(url, headers)
        finally:
            proc.terminate()
            proc.wait(10)
        assert total == zip_size == curl_total
        blob_root = settings.blob_dir
        cat_zip = cat_seconds([blob_root / blob_key(zip_sha)])
        cat_pdfs = cat_seconds([blob_root / blob_key(h) for h in hashes])
        mb = total / 1e6
        print(f"\nbatch ZIP of {n} letters: {mb:.0f} MB")
        print(
            f"download via API, httpx: {mb / seconds:8.0f} MB/s ({seconds:.2f} s)  "
            f"= {cat_zip / seconds:.0%} of cat of the ZIP, "
            f"{cat_pdfs / seconds:.0%} of cat of the PDFs"
        )
        print(
            f"download via API, curl : {mb / curl_seconds:8.0f} MB/s ({curl_seconds:.2f} s)  "
            f"= {cat_zip / curl_seconds:.0%} of cat of the ZIP, "
            f"{cat_pdfs / curl_seconds:.0%} of cat of the PDFs"
        )
        print(f"cat of the ZIP file    : {mb / cat_zip:8.0f} MB/s ({cat_zip:.2f} s)")
        print(f"cat of the {n} PDFs  : {mb / cat_pdfs:8.0f} MB/s ({cat_pdfs:.2f} s)")
        small, large = rows[0][3], rows[-1][3]
        print(
            f"\npeak RSS while sealing: {small / 2**20:.0f} MiB for {rows[0][0]}, "
            f"{large / 2**20:.0f} MiB for {rows[-1][0]} letters "
            f"(ratio {large / small:.2f}; growth {(rows[0][3] - rows[0][2]) / 2**20:.0f} "
            f"vs {(rows[-1][3] - rows[-1][2]) / 2**20:.0f} MiB)"
        )
        ctx.close()
    print()
    printcheck_bench()


def _tenant(session, tenant_id):
    from akte.tenants.models import Tenant

    return session.get(Tenant, tenant_id)


if __name__ == "__main__":
    main()
