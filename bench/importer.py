"""Delivery import: memory flatness (1,000 vs 10,000 documents) and import overhead.

1. Peak RSS of ``akte import`` (the CLI, a subprocess; ``ru_maxrss`` from ``wait4``) and of
   the API server (``akte serve``; ``VmHWM`` from ``/proc``, uploads over loopback) for
   deliveries of 1,000 and 10,000 small unique PDFs. Target: the two differ by < 50 MB.
2. Documents per second of a delivery of born-digital PDFs and of one of scans (TIFF,
   OCR), end to end (``akte import`` in a subprocess while one worker processes the
   queue), against the pipeline's own single-document rate on the same files (each
   document added through ``akte.documents.intake`` and processed by the same worker, one
   at a time). The ratio shows the import's overhead; target ≥ 0.9.

3. Boxes: a delivery of ``--boxes`` box files (default 1,000), each ``--box-docs``
   documents of ``--box-pages`` pages between separator sheets (printed ``PATCHT`` barcodes
   and Kodak patch codes, alternating), imported by ``akte import``: rows/s, pages/s (box
   pages, separator sheets included) and peak RSS, against a baseline measured in the same
   run: the same documents delivered as single files.

Every measurement runs on its own fresh embedded installation (SQLite + local blobs), so
content-addressed storage never lets one run profit from another's files.

Run: ``python -m bench.importer [--sizes 1000,10000] [--pdfs 100] [--scans 10] [--no-server]
[--boxes 1000] [--box-docs 3] [--box-pages 2] [--skip-boxes]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.migrations import upgrade
from akte.core.settings import Settings
from tests.infra.ports import free_port, wait_for_port

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TV = {
    "lieferung": "BENCH",
    "dienstleister": "Bench GmbH",
    "captured_at": "2026-11-02",
    "qc_result": "bestanden",
    "scanner_model": "bench",
    "resolution_dpi": 300,
}
FIELDS = ["ID", "Aktenzeichen", "Dokumentart", "Titel", "Seitenzahl", "SHA256", "Dateiname"]
AZ = "AZ-BENCH-1"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKTE_")}
    env.update(
        AKTE_DATA_DIR=str(data_dir),
        AKTE_SECRET_KEY=SECRET,
        AKTE_ENV="test",
        AKTE_INPROCESS_WORKER="false",
        OMP_THREAD_LIMIT="1",
    )
    return env


def _akte(env: dict[str, str], *args: str) -> str:
    akte = str(Path(sys.executable).parent / "akte")
    return subprocess.run([akte, *args], env=env, check=True, capture_output=True, text=True).stdout


def _install(work: Path, name: str) -> tuple[Path, dict[str, str], str | None]:
    """A fresh installation with tenant ``bench``, one Akte and an importer's API key."""
    data = work / name
    data.mkdir(parents=True)
    env = _env(data)
    upgrade(f"sqlite:///{(data / 'akte.db').resolve()}")
    _akte(env, "admin", "create-tenant", "bench", "Bench")
    _akte(env, "admin", "create-org-unit", "bench", "LB", "Leistung")
    out = _akte(env, "admin", "create-user", "bench-imp", "importer", "--tenant", "bench")
    key = next((line.split(": ", 1)[1] for line in out.splitlines() if "API key" in line), None)
    ctx = _ctx(data)
    with session_scope(ctx.session_factory) as session:
        from sqlalchemy import select

        from akte.case_files.models import CaseFile
        from akte.tenants.models import OrgUnit, Tenant

        tenant = session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        unit = session.scalar(select(OrgUnit).where(OrgUnit.tenant_id == tenant.id))
        session.add(CaseFile(tenant_id=tenant.id, org_unit_id=unit.id, aktenzeichen=AZ))
    ctx.close()
    return data, env, key


def _ctx(data: Path) -> AppContext:
    return AppContext.from_settings(
        Settings(env="test", data_dir=data, secret_key=SECRET, inprocess_worker=False)
    )


def _template_pdf() -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    c.drawString(72, 760, "Bench-Dokument")
    c.showPage()
    c.save()
    return buffer.getvalue()


def write_delivery(root: Path, files) -> Path:  # type: ignore[no-untyped-def]
    """``files`` yields ``(name, bytes, pages)``; written one by one, never held together."""
    (root / "scans").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(FIELDS)
        for n, (name, data, pages) in enumerate(files):
            (root / "scans" / name).write_bytes(data)
            writer.writerow(
                [
                    f"B-{n:06d}",
                    AZ,
                    "Nachweis",
                    f"Dokument {n}",
                    pages,
                    hashlib.sha256(data).hexdigest(),
                    f"scans/{name}",
                ]
            )
    (root / "transfervermerk.json").write_text(json.dumps(TV))
    return root


def tiny_pdfs(count: int):  # type: ignore[no-untyped-def]
    template = _template_pdf()
    for n in range(count):
        yield f"{n:06d}.pdf", template + f"\n%bench-{n}\n".encode(), 1


def born_digital(count: int):  # type: ignore[no-untyped-def]
    for n in range(count):
        buffer = io.BytesIO()
        c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
        for page in range(2):
            for line in range(30):
                c.drawString(
                    60,
                    780 - line * 22,
                    f"Dokument {n} Seite {page + 1}: Bewilligungsbescheid Zeile {line}",
                )
            c.showPage()
        c.save()
        yield f"{n:04d}.pdf", buffer.getvalue(), 2


def scans(count: int):  # type: ignore[no-untyped-def]
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default()
    for n in range(count):
        image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(image)
        for line in range(25):
            draw.text(
                (120, 150 + line * 80),
                f"Schreiben {n}: Antrag auf Leistungen, Zeile {line} Miete Heizung",
                fill=0,
                font=font,
            )
        buffer = io.BytesIO()
        image.convert("1").save(buffer, "TIFF", compression="group4", dpi=(200, 200))
        yield f"{n:04d}.tif", buffer.getvalue(), 1


def run_cli_import(env: dict[str, str], delivery: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``akte import``."""
    akte = str(Path(sys.executable).parent / "akte")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            akte,
            "import",
            str(delivery),
            "--tenant",
            "bench",
            "--quiet",
            "--report",
            str(delivery.parent / f"{delivery.name}.csv"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"akte import failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def memory(work: Path, sizes: list[int], server: bool) -> None:
    print("\n== memory: peak RSS of the import ==")
    results: dict[str, list[float]] = {"cli": [], "server": []}
    for size in sizes:
        _data, env, _key = _install(work, f"mem-cli-{size}")
        delivery = write_delivery(work / f"delivery-{size}", tiny_pdfs(size))
        seconds, peak = run_cli_import(env, delivery)
        results["cli"].append(peak)
        print(
            f"cli    {size:>6} documents: peak RSS {peak:7.1f} MB, "
            f"{size / seconds:7.1f} documents/s (import only)"
        )
        if server:
            _data, env, key = _install(work, f"mem-api-{size}")
            peak, seconds = _server_import(env, key, delivery)
            results["server"].append(peak)
            print(
                f"server {size:>6} documents: peak RSS {peak:7.1f} MB, "
                f"{size / seconds:7.1f} documents/s (uploads over loopback)"
            )
    for kind, peaks in results.items():
        if len(peaks) >= 2:
            diff = peaks[-1] - peaks[0]
            verdict = "OK" if diff < 50 else "TOO MUCH"
            print(
                f"{kind}: {sizes[-1]} vs {sizes[0]} documents: +{diff:.1f} MB "
                f"(target < 50 MB) {verdict}"
            )


def _vmhwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _server_import(env: dict[str, str], key: str | None, delivery: Path) -> tuple[float, float]:
    port = free_port()
    akte = str(Path(sys.executable).parent / "akte")
    proc = subprocess.Popen(
        [akte, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        headers = {"Authorization": f"Bearer {key}"}
        start = time.perf_counter()
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
        ) as client:
            with (
                (delivery / "manifest.csv").open("rb") as m,
                (delivery / "transfervermerk.json").open("rb") as t,
            ):
                response = client.post(
                    "/api/v1/deliveries",
                    data={"external_id": "BENCH"},
                    files={"manifest": m, "transfervermerk": t},
                )
            response.raise_for_status()
            did = response.json()["id"]
            with (delivery / "manifest.csv").open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, delimiter=";"):
                    with (delivery / row["Dateiname"]).open("rb") as f:
                        r = client.put(
                            f"/api/v1/deliveries/{did}/items/{row['ID']}/file", files={"file": f}
                        )
                    if r.status_code not in (200, 201):
                        raise SystemExit(f"upload failed: {r.status_code} {r.text}")
            client.post(f"/api/v1/deliveries/{did}/commit").raise_for_status()
        seconds = time.perf_counter() - start
        return _vmhwm(proc.pid), seconds
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _worker_until(ctx: AppContext, count: int, stop: threading.Event) -> None:
    from akte.jobs.worker import run_one

    while not stop.is_set():
        if not run_one(ctx) and _settled(ctx) >= count:
            return
        time.sleep(0.01) if not stop.is_set() else None


def _settled(ctx: AppContext) -> int:
    from sqlalchemy import func, select

    from akte.documents.models import Document

    with session_scope(ctx.session_factory) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.status.in_(("ready", "failed")))
            )
            or 0
        )


def throughput(work: Path, label: str, make, count: int) -> None:  # type: ignore[no-untyped-def]
    from akte.jobs.registry import handler_for

    if handler_for("ingest.process_document") is None:
        print(f"{label}: ingest.process_document is not installed; import-only figures only")
    delivery = write_delivery(work / f"tp-{label}", make(count))
    # baseline: the pipeline's single-document rate, each document added through intake
    data, _, _ = _install(work, f"tp-{label}-base")
    ctx = _ctx(data)
    _intake_all(ctx, delivery)
    start = time.perf_counter()
    _worker_until(ctx, count, threading.Event())
    base_seconds = time.perf_counter() - start
    ctx.close()
    # import end to end: akte import while the worker processes the queue
    data, env, _key = _install(work, f"tp-{label}-import")
    ctx = _ctx(data)
    stop = threading.Event()
    start = time.perf_counter()
    worker = threading.Thread(target=_worker_until, args=(ctx, count, stop))
    worker.start()
    import_seconds, _peak = run_cli_import(env, delivery)
    worker.join()
    total = time.perf_counter() - start
    span = _span(ctx)
    ctx.close()
    base_rate, import_rate, steady_rate = count / base_seconds, count / total, count / span
    print(
        f"{label:13} {count:>4} documents: pipeline alone {base_rate:6.2f} docs/s | "
        f"import end to end {import_rate:6.2f} docs/s, ratio {import_rate / base_rate:.2f} "
        f"(incl. ~CLI start-up) | from first document received to last processed "
        f"{steady_rate:6.2f} docs/s, ratio {steady_rate / base_rate:.2f} (target >= 0.9) | "
        f"import step alone {count / import_seconds:6.1f} docs/s"
    )


def _span(ctx: AppContext) -> float:
    """Seconds from the first imported document's arrival to the last one's processing."""
    from sqlalchemy import func, select

    from akte.documents.models import Document

    with session_scope(ctx.session_factory) as session:
        first, last = session.execute(
            select(func.min(Document.received_at), func.max(Document.updated_at))
        ).one()
    if isinstance(first, str):  # SQLite aggregate results bypass the type decorator
        from datetime import datetime

        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return max((last - first).total_seconds(), 1e-6)


def _intake_all(ctx: AppContext, delivery: Path) -> None:
    from sqlalchemy import select

    from akte.case_files.models import CaseFile
    from akte.documents import intake
    from akte.documents.models import DocumentSource

    with (delivery / "manifest.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            with (
                session_scope(ctx.session_factory) as session,
                (delivery / row["Dateiname"]).open("rb") as f,
            ):
                case_file = session.scalar(select(CaseFile).where(CaseFile.aktenzeichen == AZ))
                scanned = intake.scan_file(f, max_bytes=ctx.settings.max_upload_bytes)
                intake.store(ctx.storage, f, scanned)
                intake.add_document(
                    session,
                    tenant_id=case_file.tenant_id,
                    case_file_id=case_file.id,
                    scanned=scanned,
                    filename=row["Dateiname"],
                    title=row["Titel"],
                    source=DocumentSource.scan_import,
                )


def _draw_separator(c: canvas.Canvas, n: int) -> None:
    """A printed PATCHT barcode (even n) or a Kodak Patch T sheet (odd n)."""
    if n % 2:
        x = 200.0
        for wide in (0, 1, 0, 1):  # Patch T: narrow, wide, narrow, wide
            c.rect(x, 350, 14.4 if wide else 5.76, 216, stroke=0, fill=1)
            x += (14.4 if wide else 5.76) + 14.4
        return
    code = zxingcpp.create_barcode("PATCHT", zxingcpp.BarcodeFormat.Code128).to_image(scale=4)
    view = memoryview(code)
    image = Image.frombytes("L", (view.shape[1], view.shape[0]), view.tobytes())
    c.drawImage(ImageReader(image), 100, 500, width=380, height=160)


def _doc_page(c: canvas.Canvas, box: int, doc: int, page: int) -> None:
    for line in range(20):
        c.drawString(
            60, 780 - line * 22, f"Karton {box} Dokument {doc} Seite {page}: Bescheid Zeile {line}"
        )
    c.showPage()


def box_files(count: int, docs: int, pages: int):  # type: ignore[no-untyped-def]
    """``(name, bytes, box pages)`` of each box: documents between separator sheets."""
    for box in range(count):
        buffer = io.BytesIO()
        c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
        for doc in range(docs):
            if doc:
                _draw_separator(c, box + doc)
                c.showPage()
            for page in range(pages):
                _doc_page(c, box, doc, page)
        c.save()
        yield f"karton{box:05d}.pdf", buffer.getvalue(), docs * pages + docs - 1


def single_files(count: int, docs: int, pages: int):  # type: ignore[no-untyped-def]
    """The boxes' documents as single files (the baseline)."""
    for box in range(count):
        for doc in range(docs):
            buffer = io.BytesIO()
            c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
            for page in range(pages):
                _doc_page(c, box, doc, page)
            c.save()
            yield f"{box:05d}-{doc}.pdf", buffer.getvalue(), pages


def write_box_delivery(root: Path, boxes, docs: int, pages: int) -> int:  # type: ignore[no-untyped-def]
    """A delivery of box files (rows with Trennblatt/Teil/Karton); returns the box pages."""
    (root / "scans").mkdir(parents=True)
    total = 0
    with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow([*FIELDS, "Trennblatt", "Teil", "Karton"])
        for n, (name, data, box_pages) in enumerate(boxes):
            (root / "scans" / name).write_bytes(data)
            total += box_pages
            digest = hashlib.sha256(data).hexdigest()
            for part in range(1, docs + 1):
                writer.writerow(
                    [
                        f"K-{n:05d}-{part}",
                        AZ,
                        "Nachweis",
                        f"Karton {n} Teil {part}",
                        pages,
                        digest,
                        f"scans/{name}",
                        "patch",
                        part,
                        f"K{n:05d}",
                    ]
                )
    (root / "transfervermerk.json").write_text(json.dumps(TV))
    return total


def _accepted(report: Path) -> tuple[int, int]:
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return sum(r["outcome"] == "accepted" for r in rows), len(rows)


def boxes_bench(work: Path, count: int, docs: int, pages: int) -> None:
    print(
        f"\n== boxes: {count} box files x {docs} documents x {pages} pages, separator "
        "sheets between (akte import, no worker) =="
    )
    rows = count * docs
    delivery = work / "boxes"
    box_pages = write_box_delivery(delivery, box_files(count, docs, pages), docs, pages)
    _data, env, _key = _install(work, "boxes-install")
    seconds, peak = run_cli_import(env, delivery)
    ok, listed = _accepted(work / "boxes.csv")
    print(
        f"boxes    : {rows} rows ({ok}/{listed} accepted), {box_pages} box pages in "
        f"{seconds:7.1f} s: {rows / seconds:6.2f} rows/s, {box_pages / seconds:6.2f} pages/s, "
        f"peak RSS {peak:6.1f} MB"
    )
    single = work / "singles"
    write_delivery(single, single_files(count, docs, pages))
    _data, env, _key = _install(work, "singles-install")
    base_seconds, base_peak = run_cli_import(env, single)
    ok, listed = _accepted(work / "singles.csv")
    doc_pages = rows * pages
    print(
        f"baseline : the same {rows} documents as single files ({ok}/{listed} accepted), "
        f"{doc_pages} pages in {base_seconds:7.1f} s: {rows / base_seconds:6.2f} rows/s, "
        f"{doc_pages / base_seconds:6.2f} pages/s, peak RSS {base_peak:6.1f} MB"
    )
    print(
        f"ratio    : boxes/baseline rows/s {base_seconds / seconds:.2f}, "
        f"peak RSS {peak - base_peak:+.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--pdfs", type=int, default=100)
    parser.add_argument("--scans", type=int, default=10)
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--boxes", type=int, default=1000)
    parser.add_argument("--box-docs", type=int, default=3)
    parser.add_argument("--box-pages", type=int, default=2)
    parser.add_argument("--skip-boxes", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="akte-bench-import-") as tmp:
        work = Path(tmp)
        if not args.skip_memory:
            memory(work, [int(s) for s in args.sizes.split(",")], not args.no_server)
        if not args.skip_throughput:
            print("\n== throughput: import vs the pipeline's single-document rate ==")
            throughput(work, "born-digital", born_digital, args.pdfs)
            throughput(work, "scans", scans, args.scans)
        if not args.skip_boxes:
            boxes_bench(work, args.boxes, args.box_docs, args.box_pages)


if __name__ == "__main__":
    main()
