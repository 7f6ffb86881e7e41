"""One Aktenzeichen, however it is typed: the canonical key decides uniqueness, lookups,
import matching and the Akte finder; the key migration keeps old collisions and says so."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from akte.case_files.identifiers import PatternError, canonical_key, check_pattern
from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from akte.core.migrations import downgrade, upgrade
from ingest.deliveries.runner import run
from tests.builders import make_case_file, unique
from tests.deliveries.conftest import pdf_bytes, row_for, write_delivery


@pytest.mark.parametrize(
    "typed",
    [
        "AZ 2023-004711",
        "az-2023-004711",
        "AZ/2023/004711",
        "AZ.2023.004711",
        " AZ2023004711 ",
        "AZ_2023 004711",
    ],
)
def test_spellings_share_a_key(typed):
    assert canonical_key(typed) == canonical_key("AZ-2023-004711") == "AZ2023004711"


def test_leading_zeros_only_with_a_pattern():
    assert canonical_key("AZ-2023-4711") != canonical_key("AZ-2023-004711")
    pattern = "AZ-9999-999999"
    assert canonical_key("AZ 2023-4711", pattern) == "AZ2023004711"
    assert canonical_key("AZ-2023-0004711", pattern) == "AZ2023004711"
    assert canonical_key("AZ2023004711", pattern) == "AZ2023004711"
    assert canonical_key("BZ-2023-4711", pattern) == "BZ20234711"  # not the pattern: plain
    with pytest.raises(PatternError):
        check_pattern("AZ-YYYY-NNNN")


def _aktenzeichen(seed: str) -> str:
    return f"AZ-{seed}-004711"


def test_api_create_and_patch_refuse_a_second_spelling(client, world):
    admin = world.headers["caseworker_a1"]
    az = _aktenzeichen(uuid.uuid4().hex[:6].upper())
    body = {"aktenzeichen": az, "org_unit_id": str(world.unit_a1.id)}
    assert client.post("/api/v1/case-files", json=body, headers=admin).status_code == 201
    typed = az.replace("-", " ", 1).lower()
    dup = client.post("/api/v1/case-files", json={**body, "aktenzeichen": typed}, headers=admin)
    assert dup.status_code == 409
    assert dup.json()["error"] == "duplicate_aktenzeichen" and az in dup.json()["detail"]
    other = client.post(
        "/api/v1/case-files", headers=admin, json={**body, "aktenzeichen": az + "9"}
    ).json()
    renamed = client.patch(
        f"/api/v1/case-files/{other['id']}",
        headers=admin,
        json={"aktenzeichen": az.replace("-", "/")},
    )
    assert renamed.status_code == 409
    ok = client.patch(
        f"/api/v1/case-files/{other['id']}", headers=admin, json={"aktenzeichen": az + "8"}
    )
    assert ok.status_code == 200 and ok.json()["aktenzeichen"] == az + "8"
    found = client.get("/api/v1/case-files", params={"q": typed}, headers=admin).json()
    assert az in [c["aktenzeichen"] for c in found["items"]]


def test_import_files_into_the_existing_akte(ctx, world, tmp_path):
    seed = str(uuid.uuid4().int)[:6]
    with session_scope(ctx.session_factory) as session:
        from akte.tenants.models import Tenant

        tenant = session.get(Tenant, world.tenant_a.id)
        tenant.options = {
            "import_creates_case_files": True,
            "import_org_unit": world.unit_a2.code,
            "aktenzeichen_pattern": f"AZ-{'9' * len(seed)}-999999",
        }
        existing = make_case_file(
            session, tenant, world.unit_a1, aktenzeichen=f"AZ-{seed}-004711"
        ).id
    data = pdf_bytes(1, "Lohnabrechnung")
    for n, typed in enumerate([f"AZ {seed}-004711", f"az {seed}/4711"]):
        root = write_delivery(
            tmp_path / f"d{n}", [row_for(f"E{n}-{seed}", "a.pdf", data, 1, typed)], {"a.pdf": data}
        )
        result = run(
            ctx,
            root,
            world.tenant_a.slug,
            delivery_external_id=unique("L"),
            report_path=tmp_path / f"r{n}.csv",
        )
        assert result.progress.received == 1, (tmp_path / f"r{n}.csv").read_text()
    with session_scope(ctx.session_factory) as session:
        from ingest.deliveries.models import DeliveryItem

        filed = session.scalars(
            sa.select(DeliveryItem.case_file_id).where(
                DeliveryItem.external_id.in_([f"E0-{seed}", f"E1-{seed}"])
            )
        ).all()
        assert filed == [existing, existing]  # no new Akte in the import org unit
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseFile)
            .where(
                CaseFile.tenant_id == world.tenant_a.id,
                CaseFile.aktenzeichen_key.like(f"AZ{seed}%"),
            )
        )
        assert count == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def private_db(request, tmp_path):
    """A database of its own (the migration is run down and up on it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    from tests.infra.postgres import fresh_database

    with fresh_database(request.getfixturevalue("pg_admin_dsn")) as url:
        yield url


def test_migration_keeps_colliding_akten_and_reports_them(private_db, tmp_path):
    """Below the key revision, two spellings of one Aktenzeichen exist; upgrading keeps
    both rows, the older keeps the key, the conflicts list names the younger."""
    url = private_db
    upgrade(url)
    downgrade(url, "0001")
    engine = sa.create_engine(url)
    tid, uid = uuid.uuid4(), uuid.uuid4()
    ids = {"i": str(tid), "u": str(uid)} if "postgresql" in url else {"i": tid.hex, "u": uid.hex}
    with engine.begin() as conn:
        now = "2026-01-01 00:00:00+00:00"
        conn.execute(
            sa.text(
                "INSERT INTO tenants (id, slug, name, options, created_at, "
                "updated_at) VALUES (:i, :s, 'T', '{}', :n, :n)"
            ),
            {"i": ids["i"], "s": unique("t"), "n": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO org_units (id, tenant_id, code, name, created_at, "
                "updated_at) VALUES (:i, :t, 'OE', 'OE', :n, :n)"
            ),
            {"i": ids["u"], "t": ids["i"], "n": now},
        )
        for n, az in enumerate(["AZ-2023-004711", "AZ 2023 004711"]):
            case_id = uuid.uuid4()
            conn.execute(
                sa.text(
                    "INSERT INTO case_files (id, tenant_id, org_unit_id, aktenzeichen, status, "
                    "created_at, updated_at) VALUES (:i, :t, :u, :a, 'open', :c, :c)"
                ),
                {
                    "i": str(case_id) if "postgresql" in url else case_id.hex,
                    "t": ids["i"],
                    "u": ids["u"],
                    "a": az,
                    "c": f"2026-01-0{n + 1} 00:00:00+00:00",
                },
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT aktenzeichen, aktenzeichen_key FROM case_files ORDER BY created_at")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("AZ-2023-004711", "AZ2023004711"),
        ("AZ 2023 004711", None),
    ]
    from akte.core.database import make_engine, make_session_factory
    from akte.tenants import options

    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            assert [c[1:] for c in options.conflicts(session)] == [
                ("AZ 2023 004711", "AZ-2023-004711")
            ]
    finally:
        engine.dispose()
