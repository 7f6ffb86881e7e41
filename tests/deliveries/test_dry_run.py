"""The contractor's pre-check: per row what the import would do, nothing stored; tenant
options readable by the importer and settable by the tenant admin (API and CLI)."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from ingest.deliveries.models import Delivery
from tests.builders import unique
from tests.deliveries.conftest import (
    TRANSFERVERMERK,
    akte_cli,
    pdf_bytes,
    row_for,
    sha,
    write_delivery,
)

HEADER = "ID;Aktenzeichen;BG-Nummer;Seitenzahl;SHA256;Dateiname\n"


def _check(client, headers, manifest: str, tv: dict | None = None, **params):
    files = {"manifest": ("manifest.csv", manifest.encode(), "text/csv")}
    if tv is not None:
        files["transfervermerk"] = ("tv.json", json.dumps(tv).encode(), "application/json")
    return client.post("/api/v1/deliveries/check", headers=headers, files=files, params=params)


def _counts(ctx, tenant_id):
    with session_scope(ctx.session_factory) as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(CaseFile)
                .where(CaseFile.tenant_id == tenant_id)
            ),
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Delivery)
                .where(Delivery.tenant_id == tenant_id)
            ),
        )


def test_dry_run_says_per_row_what_would_happen(client, ctx, world):
    imp, admin = world.headers["importer_a"], world.headers["admin_a"]
    az = world.case_a2.aktenzeichen
    new_az = unique("AZ-NEU")
    data = pdf_bytes(1)
    manifest = HEADER + "".join(
        [
            f"R1;{az.lower().replace('-', ' ')};;1;{sha(data)};a.pdf\n",  # existing, other spelling
            f"R2;{new_az};;1;;b.pdf\n",  # unknown Akte
            ";;;;;c.pdf\n",  # no external id
            f"R1;{az};;1;;d.pdf\n",  # duplicate external id
        ]
    )
    before = _counts(ctx, world.tenant_a.id)
    refused = _check(client, imp, manifest).json()
    rows = {r["row_no"]: r for r in refused["rows"]}
    assert rows[1]["outcome"] == "existing_case_file"
    assert rows[1]["case_file_aktenzeichen"] == az
    assert rows[1]["org_unit_code"] == world.unit_a2.code
    assert rows[2]["outcome"] == "rejected" and rows[2]["reason_code"] == "unknown_case_file"
    assert "import_creates_case_files" in rows[2]["reason"]
    assert rows[3]["reason_code"] == "invalid_row"
    assert rows[4]["reason_code"] == "duplicate_external_id"
    assert refused["options"]["import_creates_case_files"] is None

    # the importer sees the options, cannot change them; the tenant admin can
    assert (
        client.get("/api/v1/tenants/current/options", headers=imp).json()["import_org_unit"] is None
    )
    denied = client.patch(
        "/api/v1/tenants/current/options", headers=imp, json={"import_creates_case_files": True}
    )
    assert denied.status_code == 403
    bad = client.patch(
        f"/api/v1/tenants/{world.tenant_a.id}/options",
        headers=admin,
        json={"import_org_unit": "NO-SUCH-UNIT"},
    )
    # a well-formed code the tenant does not have: a missing reference, not bad syntax
    assert bad.status_code == 404 and bad.json()["error"] == "unknown_org_unit"
    assert "NO-SUCH-UNIT" in bad.json()["detail"]
    typo = client.patch(
        f"/api/v1/tenants/{world.tenant_a.id}/options",
        headers=admin,
        json={"import_org_unt": world.unit_a1.code},
    )
    assert typo.status_code == 422 and typo.json()["error"] == "unknown_option"
    other = client.patch(
        f"/api/v1/tenants/{world.tenant_b.id}/options",
        headers=admin,
        json={"import_creates_case_files": True},
    )
    assert other.status_code == 404
    ok = client.patch(
        f"/api/v1/tenants/{world.tenant_a.id}/options",
        headers=admin,
        json={"import_creates_case_files": True, "import_org_unit": world.unit_a1.code},
    )
    assert ok.status_code == 200 and ok.json()["import_org_unit"] == world.unit_a1.code

    planned = _check(client, imp, manifest, tv={"lieferung": "x"}, size=2).json()
    assert planned["total"] == 4 and len(planned["rows"]) == 2
    assert planned["counts"] == {"existing_case_file": 1, "new_case_file": 1, "rejected": 2}
    new_row = planned["rows"][1]
    assert new_row["outcome"] == "new_case_file"
    assert new_row["org_unit_code"] == world.unit_a1.code
    assert planned["transfervermerk"]["valid"] is False
    assert "contractor" in planned["transfervermerk"]["error"]
    assert _counts(ctx, world.tenant_a.id) == before  # nothing stored
    assert _check(client, world.headers["caseworker_a1"], manifest).status_code == 403


def test_cli_check_and_tenant_options(ctx, world, tmp_path):
    data = pdf_bytes(2)
    az = world.case_a1.aktenzeichen
    root = write_delivery(
        tmp_path / "d",
        [
            row_for("C1", "a.pdf", data, 2, az),
            row_for("C2", "missing.pdf", data, 2, az),
            row_for("C3", "a2.pdf", data, 2, f"AZ-{uuid.uuid4().hex[:8]}"),
        ],
        {"a.pdf": data, "a2.pdf": data},
        transfervermerk=TRANSFERVERMERK,
    )
    before = _counts(ctx, world.tenant_a.id)
    plan = tmp_path / "plan.csv"
    proc = akte_cli(
        ctx, "import", str(root), "--tenant", world.tenant_a.slug, "--check", "--report", str(plan)
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "1 existing_case_file" in out and "2 rejected" in out
    text = plan.read_text(encoding="utf-8-sig")
    assert "missing_file" in text and "unknown_case_file" in text
    assert _counts(ctx, world.tenant_a.id) == before

    proc = akte_cli(
        ctx,
        "admin",
        "tenant-options",
        world.tenant_a.slug,
        "--set",
        "import_creates_case_files=true",
        "--set",
        f"import_org_unit={world.unit_a2.code}",
        "--set",
        "aktenzeichen_pattern=AZ-9999-999999",
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert world.unit_a2.code in out and "AZ-9999-999999" in out
    proc = akte_cli(ctx, "admin", "tenant-options", world.tenant_a.slug, "--set", "nonsense=1")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "unknown_option" in err


def test_tenant_admin_sets_import_options_on_the_web(ctx, world):
    from akte.tenants.models import Tenant
    from tests.web.conftest import browser, login, post_form

    with browser(ctx) as admin:
        login(admin, world.users["admin_a"].username)
        page = admin.get("/app/imports").text
        assert "Import-Einstellungen" in page and world.unit_a2.code in page
        bad = post_form(
            admin, "/app/imports", "/app/imports/options", {"creates": "on", "pattern": "AZ-YYYY"}
        )
        assert bad.status_code == 422 and "aktenzeichen_pattern" in bad.text
        ok = post_form(
            admin,
            "/app/imports",
            "/app/imports/options",
            {
                "creates": "on",
                "org_unit": world.unit_a2.code,
                "separator_codes": "PATCHT, TRENN",
                "pattern": "AZ-9999-999999",
            },
        )
        assert ok.status_code == 303
        assert "Einstellungen gespeichert" in admin.get("/app/imports?saved=1").text
    with session_scope(ctx.session_factory) as session:
        options = session.get(Tenant, world.tenant_a.id).options
    assert options == {
        "import_creates_case_files": True,
        "import_org_unit": world.unit_a2.code,
        "import_separator_codes": ["PATCHT", "TRENN"],
        "aktenzeichen_pattern": "AZ-9999-999999",
    }
    with browser(ctx) as caseworker:
        login(caseworker, world.users["caseworker_a1"].username)
        denied = post_form(caseworker, "/app", "/app/imports/options", {"creates": "on"})
        assert denied.status_code == 403
