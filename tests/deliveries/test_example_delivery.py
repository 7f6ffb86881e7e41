"""The documented example delivery (docs/examples/delivery-tr-resiscan) imports as the
docs say: pre-check, an Aktenzeichen typed differently finds its Akte, a new Akte gets the
person and subject from the manifest, the per-document Transfervermerk reaches the
provenance, and ``--follow`` waits until everything is searchable."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from ingest.deliveries.models import DeliveryItem
from ingest.deliveries.provenance import of_document
from tests.builders import make_case_file, make_org_unit, make_tenant
from tests.conftest import embedded_settings, production_settings
from tests.deliveries.conftest import PROJECT, akte_cli
from tests.infra.templates import migrated_postgres, migrated_sqlite

EXAMPLE = PROJECT / "docs" / "examples" / "delivery-tr-resiscan"


@pytest.fixture
def own_ctx(ctx: AppContext, request, tmp_path) -> Iterator[AppContext]:
    """A deployment of its own (same pair as ``ctx``): its queue holds only this test's
    jobs, so following measures this delivery and nothing left over by other tests."""
    with ExitStack() as stack:
        (tmp_path / "data").mkdir()
        if ctx.settings.is_sqlite:
            migrated_sqlite(tmp_path / "data")
            settings = embedded_settings(tmp_path / "data")
        else:
            url = stack.enter_context(migrated_postgres(request.getfixturevalue("pg_admin_dsn")))
            settings = production_settings(
                tmp_path / "data",
                url,
                request.getfixturevalue("s3"),
                f"akte-example-{uuid.uuid4().hex[:8]}",
            )
        own = AppContext.from_settings(settings)
        stack.callback(own.close)
        yield own


def test_example_delivery_checks_imports_and_becomes_searchable(own_ctx, tmp_path):
    ctx = own_ctx
    with session_scope(ctx.session_factory) as session:
        tenant = make_tenant(session)
        team, intake = make_org_unit(session, tenant), make_org_unit(session, tenant)
        existing = make_case_file(session, tenant, team, aktenzeichen="AZ-2020-000777").id
        tenant.options = {"import_creates_case_files": True, "import_org_unit": intake.code}
        slug, tenant_id, intake_id = tenant.slug, tenant.id, intake.id

    check = akte_cli(
        ctx,
        "import",
        str(EXAMPLE),
        "--tenant",
        slug,
        "--check",
        "--report",
        str(tmp_path / "plan.csv"),
    )
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, out + err
    assert "1 existing_case_file" in out and "2 new_case_file" in out
    assert "Transfervermerk: ok" in out

    proc = akte_cli(
        ctx,
        "import",
        str(EXAMPLE),
        "--tenant",
        slug,
        "--quiet",
        "--follow",
        "--follow-interval",
        "0.2",
        "--follow-timeout",
        "120",
        "--report",
        str(tmp_path / "report.csv"),
    )
    while proc.poll() is None:  # the worker the deployment would run
        if not run_until_idle(ctx):
            time.sleep(0.2)
    out, err = proc.communicate()
    assert proc.returncode == 0, out + err
    assert "3 accepted" in out and "searchable: 3 processed, 0 failed" in out

    with session_scope(ctx.session_factory) as session:
        items = {
            i.external_id: i
            for i in session.scalars(
                sa.select(DeliveryItem)
                .join(CaseFile, CaseFile.id == DeliveryItem.case_file_id)
                .where(CaseFile.tenant_id == tenant_id)
            )
        }
        assert items["TR-2020-0001"].case_file_id == existing
        new = session.get(CaseFile, items["TR-2020-0002"].case_file_id)
        assert new.aktenzeichen == "AZ-2020-000778" and new.org_unit_id == intake_id
        assert new.person_name == "Erika Mustermann"
        assert new.betreff == "Leistungen nach dem SGB II"
        assert items["TR-2020-0003"].case_file_id == new.id  # "AZ 2020 000778": same Akte
        prov = of_document(session, items["TR-2020-0002"].document_id)
        assert prov.document_anomalies == ["Seite 2 am Rand eingerissen, Text vollständig lesbar"]
        assert prov.protection_level == "normal"
        assert prov.transfervermerk["fields"]["paper_disposition"]["action"] == "rueckgabe"


def test_follow_eta_comes_from_the_measured_rate():
    from ingest.deliveries.follow import State

    state = State(received=10, processed=3, failed=1, processing=6, index_waiting=2, rate=2.0)
    assert state.eta_seconds == 4.0 and "noch ~0:04" in state.line()
    assert State(10, 4, 0, 6, 0).eta_seconds is None  # nothing finished yet: no guess
    assert State(10, 10, 0, 0, 0).searchable
