"""Small helpers shared by the trust tests: unique files, uploads, row counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import func, select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.models import Document
from tests.builders import World


def unique_pdf(label: str = "") -> bytes:
    """A small PDF whose bytes (and so its blob) belong to this call alone."""
    marker = f"{label}-{uuid.uuid4().hex}".encode()
    return (
        b"%PDF-1.4\n% "
        + marker
        + b"\n"
        + b"1 0 obj << /Type /Catalog >> endobj\n" * 20
        + b"%%EOF\n"
    )


def upload(
    client,
    world: World,
    data: bytes | None = None,
    *,
    who: str = "caseworker_a1",
    case_file=None,
    **form,
) -> dict:
    case_file = case_file or world.case_a1
    response = client.post(
        f"/api/v1/case-files/{case_file.id}/documents",
        files={"file": ("scan.pdf", data or unique_pdf(), "application/pdf")},
        data=form,
        headers=world.headers[who],
    )
    assert response.status_code == 201, response.text
    return response.json()


def document_count(ctx: AppContext, case_file_id: uuid.UUID) -> int:
    with session_scope(ctx.session_factory) as session:
        return int(
            session.scalar(select(func.count()).where(Document.case_file_id == case_file_id))
        )


def cli_env(ctx: AppContext) -> dict[str, str]:
    """``AKTE_*`` variables that point a CLI command or subprocess at the test's backend."""
    s = ctx.settings
    env = {
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(s.data_dir),
        "AKTE_SECRET_KEY": s.effective_secret_key,
        "AKTE_INPROCESS_WORKER": "false",
        "AKTE_DATABASE_URL": s.effective_database_url,
    }
    if not s.is_sqlite:
        env.update(
            {
                "AKTE_STORAGE_BACKEND": "s3",
                "AKTE_S3_ENDPOINT": s.s3_endpoint,
                "AKTE_S3_ACCESS_KEY": s.s3_access_key,
                "AKTE_S3_SECRET_KEY": s.s3_secret_key,
                "AKTE_S3_BUCKET": s.s3_bucket,
            }
        )
    return env


def cli_app():
    """The ``akte`` Typer app with every feature's sub-commands (as ``main()`` mounts them)."""
    from akte.cli import _mount_feature_clis, app

    if not any(g.name == "retention" for g in app.registered_groups):
        _mount_feature_clis()
    return app


def corrupt_blob(ctx: AppContext, sha256: str, data: bytes = b"bit rot") -> None:
    """Overwrite a stored blob behind akte's back (disk or bucket), keeping its key."""
    import io

    from akte.core.storage.base import blob_key

    store = ctx.storage
    if hasattr(store, "client"):
        store.client.put_object(store.bucket, blob_key(sha256), io.BytesIO(data), len(data))
    else:
        path = store._path(sha256)
        path.chmod(0o644)
        path.write_bytes(data)


def fsck(ctx: AppContext, **kwargs):
    from akte.operations.fsck import check

    kwargs.setdefault("grace_seconds", 0)
    return check(ctx, **kwargs)


def assert_consistent(report, digests=(), document_ids=()) -> None:
    """Nothing wrong with these blobs and documents (the shared test database may hold
    other tests' deliberate breakage, so the whole report need not be empty)."""
    digests, document_ids = set(digests), {str(d) for d in document_ids}
    assert not digests & set(report.orphaned)
    assert not digests & {m[0] for m in report.missing}
    assert not digests & set(report.corrupt)
    if report.index is not None:
        assert not document_ids & {i for ids in report.index.values() for i in ids}


def text_pdf(text: str) -> bytes:
    """A real one-page PDF with a text layer (processing extracts it without OCR)."""
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buf.getvalue()


def make_jobs_due(ctx: AppContext, document_ids) -> None:
    """Time passes: the backoff of these documents' queued jobs is over."""
    from sqlalchemy import update

    from akte.core.database import utcnow
    from akte.jobs.models import Job

    ids = {str(d) for d in document_ids}
    with session_scope(ctx.session_factory) as session:
        for job in session.scalars(select(Job).where(Job.status == "queued")):
            if str(job.payload.get("document_id")) in ids:
                session.execute(update(Job).where(Job.id == job.id).values(run_after=utcnow()))


def copies_of(ctx: AppContext, sha256: str) -> int:
    """How many document versions hold these bytes (an accepted upload: exactly one)."""
    from akte.documents.models import DocumentVersion

    with session_scope(ctx.session_factory) as session:
        return int(session.scalar(select(func.count()).where(DocumentVersion.sha256 == sha256)))


def status_of(ctx: AppContext, document_id) -> str:
    with session_scope(ctx.session_factory) as session:
        return session.get(Document, uuid.UUID(str(document_id))).status


@contextmanager
def isolated_context(request, tmp_path, bucket_prefix: str) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    """A freshly migrated database and empty storage of the test's own, for the pair named
    by ``request.param`` (``embedded`` or ``production``): for checks that walk every row
    or blob, whose outcome must not depend on what other tests left in the shared ones.
    The database is a copy of the migrated template (:mod:`tests.infra.templates`)."""
    from tests.conftest import embedded_settings, production_settings
    from tests.infra.templates import migrated_postgres, migrated_sqlite

    with ExitStack() as stack:
        if request.param == "embedded":
            migrated_sqlite(tmp_path)
            settings = embedded_settings(tmp_path)
        else:
            url = stack.enter_context(migrated_postgres(request.getfixturevalue("pg_admin_dsn")))
            settings = production_settings(
                tmp_path,
                url,
                request.getfixturevalue("s3"),
                f"{bucket_prefix}-{uuid.uuid4().hex[:12]}",
            )
        context = AppContext.from_settings(settings)
        stack.callback(context.close)
        yield context
