"""xdomea through hand-over folders, as an archive's transfer tool sees them: the packages
akte writes appear whole in the tenant's outbox, and answers dropped into the inbox are
imported at the next run of the periodic task — each once, invalid ones set aside with
their reason. Played once with a local folder and once on the real S3 server."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio
from sqlalchemy import func, select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope, utcnow
from akte.jobs import scheduler
from akte.jobs.worker import run_until_idle
from records.handover import INBOX_TASK
from records.models import Aussonderung, AussonderungMessage
from tests.infra.s3 import S3Server
from tests.records.test_aussonderung import closed, evaluation_0502  # noqa: F401

ADMIN = "admin_a"


@dataclass
class Place:
    """One hand-over root (outbox or inbox) read and written the way the archive would:
    directly, not through akte's code."""

    kind: str
    root: Path | None = None
    client: Minio | None = None
    bucket: str = ""
    prefix: str = ""

    @property
    def location(self) -> str:
        return str(self.root) if self.kind == "local" else f"s3://{self.bucket}/{self.prefix}"

    def drop(self, tenant: str, name: str, data: bytes) -> None:
        if self.root is not None:
            (self.root / tenant).mkdir(parents=True, exist_ok=True)
            (self.root / tenant / name).write_bytes(data)
        else:
            assert self.client is not None
            key = f"{self.prefix}/{tenant}/{name}"
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))

    def files(self, tenant: str) -> set[str]:
        """Every file under the tenant's folder, by path relative to it."""
        if self.root is not None:
            base = self.root / tenant
            return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}
        assert self.client is not None
        start = f"{self.prefix}/{tenant}/"
        found = self.client.list_objects(self.bucket, prefix=start, recursive=True)
        return {(o.object_name or "")[len(start) :] for o in found}

    def read(self, tenant: str, name: str) -> bytes:
        if self.root is not None:
            return (self.root / tenant / name).read_bytes()
        assert self.client is not None
        response = self.client.get_object(self.bucket, f"{self.prefix}/{tenant}/{name}")
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()


@pytest.fixture(params=["local", "s3"])
def places(request, ctx, tmp_path, monkeypatch) -> Iterator[tuple[Place, Place]]:
    if request.param == "local":
        outbox, inbox = Place("local", tmp_path / "out"), Place("local", tmp_path / "in")
    else:
        server: S3Server = request.getfixturevalue("s3")
        client = Minio(
            server.endpoint,
            access_key=server.access_key,
            secret_key=server.secret_key,
            secure=False,
        )
        bucket = f"xdomea-{uuid.uuid4().hex[:12]}"
        client.make_bucket(bucket)
        outbox = Place("s3", client=client, bucket=bucket, prefix="akte/outbox")
        inbox = Place("s3", client=client, bucket=bucket, prefix="akte/inbox")
    update = {"xdomea_outbox": outbox.location, "xdomea_inbox": inbox.location}
    if request.param == "s3":
        update |= {
            "s3_endpoint": server.endpoint,
            "s3_access_key": server.access_key,
            "s3_secret_key": server.secret_key,
        }
    settings = ctx.settings.model_copy(update=update)
    monkeypatch.setattr(ctx, "settings", settings)
    yield outbox, inbox


class Runs:
    """The periodic inbox task, run the way the worker runs it: the scheduler queues it
    once per period, the worker takes the job."""

    #: One clock for every test: the schedule row outlives a test, so time only goes on.
    now = utcnow() + timedelta(days=1)

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        self.ctx = ctx

    def next(self) -> None:
        step = timedelta(seconds=self.ctx.settings.xdomea_inbox_interval_seconds + 1)
        Runs.now += step
        with session_scope(self.ctx.session_factory) as session:
            queued = scheduler.tick(session, self.ctx.settings, now=Runs.now, names=[INBOX_TASK])
        assert [q.name for q in queued] == [INBOX_TASK]
        run_until_idle(self.ctx)


def _audit(ctx, tenant_id, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.tenant_id == tenant_id, AuditEntry.action == action
                )
            )
        )


def test_packages_go_out_and_answers_come_in_through_the_folders(
    client,
    ctx,
    world,
    closed,  # noqa: F811
    places,
):
    outbox, inbox = places
    slug = world.tenant_a.slug
    keep, destroy = str(closed["keep"]), str(closed["destroy"])
    r = client.post(
        "/api/v1/aussonderungen",
        headers=world.headers[ADMIN],
        json={"recipient": "Landesarchiv Thüringen", "case_file_ids": [keep, destroy]},
    )
    assert r.status_code == 201, r.text
    row_id = r.json()["id"]
    offer_name = f"{row_id}_Aussonderung.Anbieteverzeichnis.0501.zip"
    assert outbox.files(slug) == set()  # written after the commit, by a job
    run_until_idle(ctx)
    # the archive sees the offer under the standard's name, whole: the same bytes as the
    # browser download, and no half-written temporary file
    assert outbox.files(slug) == {offer_name}
    download = client.get(f"/api/v1/aussonderungen/{row_id}/offer", headers=world.headers[ADMIN])
    assert outbox.read(slug, offer_name) == download.content
    assert outbox.files(world.tenant_b.slug) == set()

    runs = Runs(ctx)
    evaluation = evaluation_0502("3.0.0", row_id, [(keep, "A"), (destroy, "V")])
    inbox.drop(slug, f"{row_id}_Aussonderung.Bewertungsverzeichnis.0502.xml", evaluation)
    runs.next()
    with session_scope(ctx.session_factory) as session:
        row = session.get(Aussonderung, uuid.UUID(row_id))
        assert row is not None and row.status == "transferred"  # 0502 read, 0503 built
    assert inbox.files(slug) == {f"done/{row_id}_Aussonderung.Bewertungsverzeichnis.0502.xml"}
    assert outbox.files(slug) == {offer_name, f"{row_id}_Aussonderung.Aussonderung.0503.zip"}
    assert len(_audit(ctx, world.tenant_a.id, "records.xdomea.inbox.imported")) == 1

    # the same message again (the archive's tool sent it twice) is not imported twice
    inbox.drop(slug, "again_Aussonderung.Bewertungsverzeichnis.0502.xml", evaluation)
    runs.next()
    with session_scope(ctx.session_factory) as session:
        count = session.scalar(
            select(func.count())
            .select_from(AussonderungMessage)
            .where(AussonderungMessage.aussonderung_id == uuid.UUID(row_id))
        )
    assert count == 1
    assert len(_audit(ctx, world.tenant_a.id, "records.aussonderung.message.0502")) == 1
    assert len(_audit(ctx, world.tenant_a.id, "records.xdomea.inbox.duplicate")) == 1
    assert "done/again_Aussonderung.Bewertungsverzeichnis.0502.xml" in inbox.files(slug)


def test_what_cannot_be_imported_is_set_aside_with_its_reason(
    client,
    ctx,
    world,
    closed,  # noqa: F811
    places,
):
    _outbox, inbox = places
    slug, other = world.tenant_a.slug, world.tenant_b.slug
    r = client.post(
        "/api/v1/aussonderungen",
        headers=world.headers[ADMIN],
        json={"recipient": "Landesarchiv", "case_file_ids": [str(closed["keep"])]},
    )
    row_id = r.json()["id"]
    inbox.drop(slug, "kaputt.xml", b"<Aussonderung.Bewertungsverzeichnis.0502><nicht")
    # tenant A's process, dropped into tenant B's folder: B has no such Aussonderung
    foreign = evaluation_0502("3.1.0", row_id, [(str(closed["keep"]), "A")])
    inbox.drop(other, "fremd.xml", foreign)
    Runs(ctx).next()

    assert inbox.files(slug) == {"rejected/kaputt.xml", "rejected/kaputt.xml.reason.txt"}
    reason = inbox.read(slug, "rejected/kaputt.xml.reason.txt").decode()
    assert "abgelehnt" in reason and "not well-formed XML" in reason
    assert inbox.files(other) == {"rejected/fremd.xml", "rejected/fremd.xml.reason.txt"}
    assert "no Aussonderung" in inbox.read(other, "rejected/fremd.xml.reason.txt").decode()
    with session_scope(ctx.session_factory) as session:
        row = session.get(Aussonderung, uuid.UUID(row_id))
        assert row is not None and row.status == "offered"  # nothing was recorded
    rejected = _audit(ctx, world.tenant_a.id, "records.xdomea.inbox.rejected")
    assert [e.detail["name"] for e in rejected] == ["kaputt.xml"]
    assert [e.detail["name"] for e in _audit(ctx, world.tenant_b.id, rejected[0].action)] == [
        "fremd.xml"
    ]
