"""``akte import PATH --tenant T`` as operators run it, including being killed mid-delivery."""

from __future__ import annotations

import signal
import time
import zipfile

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from akte.core.database import session_scope
from akte.documents.models import Document
from ingest.deliveries.models import DeliveryItem, ImportedDocument, Outcome
from tests.deliveries.conftest import akte_cli, pdf_bytes, row_for, write_delivery


def _delivery(tmp_path, az, n, name="l"):
    files = {f"scans/{i:04d}.pdf": pdf_bytes(1, f"Dok {i}") for i in range(n)}
    rows = [
        row_for(f"K-{i:04d}", f"scans/{i:04d}.pdf", files[f"scans/{i:04d}.pdf"], 1, az)
        for i in range(n)
    ]
    return write_delivery(tmp_path / name, rows, files)


def _count_docs(ctx, tenant_id):
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(func.count()).select_from(Document).where(Document.tenant_id == tenant_id)
        )


def test_cli_imports_a_folder_and_a_zip(ctx, tenant_env, tmp_path):
    slug, tenant_id, _unit, akte = tenant_env
    folder = _delivery(tmp_path, akte.aktenzeichen, 3)
    (folder / "scans" / "extra.pdf").write_bytes(pdf_bytes(1, "extra"))
    proc = akte_cli(
        ctx, "import", str(folder), "--tenant", slug, "--report", str(tmp_path / "r1.csv")
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err  # one file was not in the manifest
    assert "4 rows, 3 accepted" in out and "1 rejected" in out
    assert "not_in_manifest" in (tmp_path / "r1.csv").read_text(encoding="utf-8-sig")

    zipped = _delivery(tmp_path, akte.aktenzeichen, 2, name="z")
    (zipped / "transfervermerk.json").write_text(
        (zipped / "transfervermerk.json")
        .read_text()
        .replace('"lieferung": "L-TEST"', '"lieferung": "L-ZIP"')
    )
    archive = tmp_path / "z.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(zipped.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(zipped).as_posix())
    proc = akte_cli(
        ctx, "import", str(archive), "--tenant", slug, "--report", str(tmp_path / "r2.csv")
    )
    out, err = proc.communicate(timeout=120)
    # the ZIP's rows carry the same external ids and files as the folder's: nothing is new
    assert proc.returncode == 3, err
    assert "Lieferung L-ZIP" in out and "2 rows, 0 accepted" in out
    assert (tmp_path / "r2.csv").read_text(encoding="utf-8-sig").count("already_imported") == 2
    assert _count_docs(ctx, tenant_id) == 3


def test_killed_import_resumes_and_imports_every_document_exactly_once(ctx, tenant_env, tmp_path):
    slug, tenant_id, _unit, akte = tenant_env
    n = 60
    folder = _delivery(tmp_path, akte.aktenzeichen, n)
    proc = akte_cli(
        ctx, "import", str(folder), "--tenant", slug, "--quiet", "--report", str(tmp_path / "r.csv")
    )
    deadline = time.monotonic() + 90
    accepted = 0
    # A plain engine: its reads never queue for SQLite's write lock (akte's engine begins
    # with BEGIN IMMEDIATE), so the watcher sees progress while the import is running.
    watcher = create_engine(ctx.settings.effective_database_url, poolclass=NullPool)
    while time.monotonic() < deadline and proc.poll() is None:
        with watcher.connect() as conn:
            accepted = conn.scalar(
                select(func.count())
                .select_from(DeliveryItem)
                .join(Document, Document.id == DeliveryItem.document_id)
                .where(Document.tenant_id == tenant_id)
            )
        if accepted >= 5:
            break
        time.sleep(0.02)
    watcher.dispose()
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 5 <= _count_docs(ctx, tenant_id) < n

    proc = akte_cli(
        ctx, "import", str(folder), "--tenant", slug, "--report", str(tmp_path / "r.csv")
    )
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert f"{n} rows, {n} accepted" in out
    with session_scope(ctx.session_factory) as session:
        docs = session.scalar(
            select(func.count()).select_from(Document).where(Document.tenant_id == tenant_id)
        )
        ledger = session.scalar(
            select(func.count())
            .select_from(ImportedDocument)
            .where(ImportedDocument.tenant_id == tenant_id)
        )
        items = list(
            session.execute(
                select(DeliveryItem.external_id, DeliveryItem.outcome, DeliveryItem.document_id)
                .join(Document, Document.id == DeliveryItem.document_id)
                .where(Document.tenant_id == tenant_id)
            )
        )
    assert docs == n and ledger == n
    assert len({i.external_id for i in items}) == n
    assert {i.outcome for i in items} == {Outcome.accepted}
    assert len({i.document_id for i in items}) == n
