"""Akteneinsicht / Aktenübersendung and xdomea exports, checked from what leaves akte:
Blattzahlen on every page match the table of contents, redacted documents go out only as
their redacted copies, only readable documents of the Akte are in it, and an xdomea
package validates against the official schemas (read from the shared copy, not akte's)."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.tenants.models import Tenant
from tests.builders import World
from tests.ingest.samples import text_pdf
from tests.records.conftest import add_processed, plumber_texts, sha256
from tests.records.samples import secret_pdf

OFFICIAL = Path("/work/shared/xdomea")
REASON = "Daten Dritter"


@pytest.fixture
def akte(ctx, world: World) -> dict[str, uuid.UUID]:
    """Akte a1 with a redacted document and a plain one; a2 with a document of its own."""
    secret = add_processed(ctx, world.tenant_a.id, world.case_a1.id, secret_pdf(), "Antrag")
    plain = add_processed(
        ctx,
        world.tenant_a.id,
        world.case_a1.id,
        text_pdf([["Lohnabrechnung Januar"], ["Seite zwei der Lohnabrechnung"]]),
        "Lohn",
    )
    foreign = add_processed(
        ctx,
        world.tenant_a.id,
        world.case_a2.id,
        text_pdf([["Fremde Akte eines anderen Falls"]]),
        "Fremd",
    )
    return {"secret": secret, "plain": plain, "foreign": foreign}


def _export(client, world, body, who="caseworker_a1", case=None):
    case = case or world.case_a1
    return client.post(
        f"/api/v1/case-files/{case.id}/exports", json=body, headers=world.headers[who]
    )


def _built(client, ctx, world, export_id) -> dict:
    run_until_idle(ctx)
    r = client.get(f"/api/v1/exports/{export_id}", headers=world.headers["caseworker_a1"])
    assert r.status_code == 200
    assert r.json()["status"] == "ready", r.json()["error"]
    return r.json()


def test_court_export_pdf_and_package(client, ctx, world: World, akte, tmp_path):
    headers = world.headers["caseworker_a1"]
    r = client.post(
        f"/api/v1/documents/{akte['secret']}/redactions",
        headers=headers,
        json={"terms": ["Mustermann", "Musterfrau"], "reason": REASON},
    )
    assert r.status_code == 201
    redacted_sha = r.json()["redacted_sha256"]
    r = _export(
        client,
        world,
        {"kind": "court", "recipient": "Sozialgericht Gotha", "reference": "S 12 AS 345/24"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued" and r.json()["progress_total"] == 2
    export = _built(client, ctx, world, r.json()["id"])
    assert export["progress_done"] == 2

    pdf = client.get(f"/api/v1/exports/{export['id']}/pdf", headers=headers)
    assert pdf.status_code == 200
    path = tmp_path / "export.pdf"
    path.write_bytes(pdf.content)
    pages = plumber_texts(path)
    assert len(pages) == export["page_count"] == 1 + 1 + 3 + 2
    assert "Aktenübersendung" in pages[0] and "Sozialgericht Gotha" in pages[0]
    for number, text in enumerate(pages, start=1):  # a Blattzahl on every page
        assert re.search(rf"\bBlatt {number}\b", text), (number, text)
    toc = pages[1]
    entries = re.findall(r"Blatt (\d+)(?:–(\d+))? \d\d\.\d\d\.\d{4} (\w+)", toc)
    assert [(int(a), int(b or a), t) for a, b, t in entries] == [(3, 5, "Antrag"), (6, 7, "Lohn")]
    assert "[geschwärzt]" in next(v for v in toc.splitlines() if "Antrag" in v)
    assert "geschwärzt" not in next(v for v in toc.splitlines() if "Lohn" in v)
    assert "Antragsteller" in pages[2] and "Lohnabrechnung Januar" in pages[5]
    joined = "\n".join(pages)
    assert "Mustermann" not in joined and "Musterfrau" not in joined

    package = client.get(f"/api/v1/exports/{export['id']}/package", headers=headers)
    assert package.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(package.content))
    manifest = json.loads(zf.read("manifest.json"))
    docs = manifest["documents"]
    assert [d["document_id"] for d in docs] == [str(akte["secret"]), str(akte["plain"])]
    assert (docs[0]["blatt_from"], docs[0]["blatt_to"], docs[0]["redacted"]) == (3, 5, True)
    assert docs[0]["sha256"] == redacted_sha == sha256(zf.read(docs[0]["file"]))
    hashes = {sha256(zf.read(name)) for name in zf.namelist()}
    original_sha = client.get(f"/api/v1/documents/{akte['secret']}", headers=headers).json()[
        "versions"
    ][0]["sha256"]
    assert original_sha not in hashes  # the unredacted original never leaves
    assert str(akte["foreign"]) not in json.dumps(manifest)
    with session_scope(ctx.session_factory) as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.object_id == str(world.case_a1.id))
            )
        ]
    assert {"records.export.create", "records.export.ready", "records.export.download"} <= set(
        actions
    )


def test_selection_keeps_akte_order(client, ctx, world: World, akte):
    r = _export(
        client,
        world,
        {
            "kind": "inspection",
            "recipient": "RA Beispiel",
            "document_ids": [str(akte["plain"]), str(akte["secret"])],
        },
    )
    assert r.status_code == 202, r.text
    assert r.json()["document_ids"] == [str(akte["secret"]), str(akte["plain"])]
    one = _export(
        client,
        world,
        {"kind": "inspection", "recipient": "RA Beispiel", "document_ids": [str(akte["plain"])]},
    )
    export = _built(client, ctx, world, one.json()["id"])
    assert export["page_count"] == 1 + 1 + 2


def test_foreign_callers_are_refused(client, ctx, world: World, akte):
    body = {"kind": "court", "recipient": "Sozialgericht"}
    own = _export(client, world, body)
    assert own.status_code == 202
    own_id = own.json()["id"]
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        r = _export(client, world, body, who=who)
        assert r.status_code == 404, (who, r.text)
        h = world.headers[who]
        assert client.get(f"/api/v1/exports/{own_id}", headers=h).status_code == 404
        assert client.get(f"/api/v1/exports/{own_id}/package", headers=h).status_code == 404
        r = client.get(f"/api/v1/case-files/{world.case_a1.id}/exports", headers=h)
        assert r.status_code == 404 and own_id not in r.text
    for who in ("importer_a", "provider_a"):
        r = _export(client, world, body, who=who)
        assert r.status_code in (403, 404) and own_id not in r.text
    # a document the caller cannot read (another unit's Akte) cannot be smuggled in
    r = _export(
        client, world, {**body, "document_ids": [str(akte["secret"]), str(akte["foreign"])]}
    )
    assert r.status_code == 404 and r.json()["error"] == "unknown_document"
    # a2's own exports list shows nothing of a1
    r = _export(client, world, body, who="caseworker_a2", case=world.case_a2)
    assert r.status_code == 202
    listed = client.get(
        f"/api/v1/case-files/{world.case_a2.id}/exports", headers=world.headers["caseworker_a2"]
    ).json()
    assert own_id not in json.dumps(listed) and listed["items"]
    # a borrower (grant) reads the Akte but may not let it out
    client.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    r = _export(client, world, body, who="caseworker_a2")
    assert r.status_code == 403 and r.json()["error"] == "lent_access"


def _official_schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.parse(str(OFFICIAL / version / "xdomea-Nachrichten-AbgabeDurchfuehren.xsd"))
    )


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_xdomea_abgabe_validates(client, ctx, world: World, akte, version):
    r = _export(
        client,
        world,
        {"kind": "xdomea-abgabe", "recipient": "Jobcenter Nachbarkreis", "xdomea_version": version},
    )
    assert r.status_code == 202, r.text
    export = _built(client, ctx, world, r.json()["id"])
    assert export["zip_name"] == f"{export['id']}_Abgabe.Abgabe.0401.zip"
    package = client.get(
        f"/api/v1/exports/{export['id']}/package", headers=world.headers["caseworker_a1"]
    )
    zf = zipfile.ZipFile(io.BytesIO(package.content))
    xml = zf.read(f"{export['id']}_Abgabe.Abgabe.0401.xml")
    root = etree.fromstring(xml)
    schema = _official_schema(version)
    assert schema.validate(root), schema.error_log
    ns = {"x": f"urn:xoev-de:xdomea:schema:{version}"}
    assert root.findtext("x:Kopf/x:ProzessID", namespaces=ns) == export["id"]
    assert (
        root.findtext(".//x:Akte/x:AllgemeineMetadaten/x:Kennzeichen", namespaces=ns)
        == world.case_a1.aktenzeichen
    )
    ids = root.xpath(".//x:Dokument/x:Identifikation/x:ID/text()", namespaces=ns)
    assert ids == [str(akte["secret"]), str(akte["plain"])]
    for name in root.xpath(".//x:Primaerdokument/x:Dateiname/text()", namespaces=ns):
        assert name in zf.namelist()
    # the check can fail: the same message with the Akte's id removed is refused
    broken = etree.fromstring(xml)
    ident = broken.find(".//x:Akte/x:Identifikation", namespaces=ns)
    ident.getparent().remove(ident)
    assert not schema.validate(broken)


def test_xdomea_version_from_the_tenant_option(client, ctx, world: World, akte):
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        tenant.options = {**(tenant.options or {}), "xdomea_version": "3.1.0"}
    r = _export(client, world, {"kind": "xdomea-abgabe", "recipient": "Jobcenter B"})
    assert r.status_code == 202 and r.json()["xdomea_version"] == "3.1.0"


def test_bad_export_requests_are_4xx(client, world: World, akte):
    for body in (
        {"kind": "fax", "recipient": "x y"},
        {"kind": "court"},
        {"kind": "xdomea-abgabe", "recipient": "JC", "xdomea_version": "2.4.0"},
    ):
        r = _export(client, world, body)
        assert r.status_code == 422 and r.json()["error"], r.text
    empty = _export(
        client, world, {"kind": "court", "recipient": "SG"}, case=world.case_b1, who="caseworker_b"
    )
    assert empty.status_code == 422 and empty.json()["error"] == "nothing_to_export"
    r = client.get(f"/api/v1/exports/{uuid.uuid4()}/pdf", headers=world.headers["caseworker_a1"])
    assert r.status_code == 404


def test_cli_export_as_a_named_user(ctx, world: World, akte, tmp_path):
    from typer.testing import CliRunner

    from records.cli import export_app
    from tests.outbox.test_cli import _env

    runner = CliRunner()
    args = [
        world.case_a1.aktenzeichen,
        "--tenant",
        world.tenant_a.slug,
        "--recipient",
        "Sozialgericht",
        "--out",
        str(tmp_path),
    ]
    done = runner.invoke(
        export_app, [*args, "--user", world.users["caseworker_a1"].username], env=_env(ctx.settings)
    )
    assert done.exit_code == 0, done.output
    pdfs = list(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 1 and len(plumber_texts(pdfs[0])) == 7
    assert len(list(tmp_path.glob("*.zip"))) == 1
    refused = runner.invoke(
        export_app, [*args, "--user", world.users["caseworker_a2"].username], env=_env(ctx.settings)
    )
    assert refused.exit_code == 2 and "refused" in refused.output


def test_stamps_on_rotated_pages_read_upright(tmp_path):
    """A page with /Rotate 90 gets its Blatt at the displayed top right, reading upright."""
    from datetime import UTC, datetime

    import pypdfium2 as pdfium

    from records import bundle
    from records.redaction import DisplayMap

    source = tmp_path / "rotated.pdf"
    source.write_bytes(text_pdf([["Hochformat"], ["Gedreht"]]))
    pdf = pdfium.PdfDocument(str(source))
    pdf[1].set_rotation(90)
    pdf.save(str(tmp_path / "r.pdf"))
    pdf.close()
    parts = [bundle.Part("Gedreht", None, None, datetime.now(UTC), 2, False)]
    front = tmp_path / "front.pdf"
    front.write_bytes(
        bundle.front_matter(
            bundle.Cover("Akteneinsicht", "AZ-1", None, "RA", None, "X", datetime.now(UTC), "JC"),
            parts,
        )
    )
    out = tmp_path / "out.pdf"
    assert bundle.assemble(front, [lambda: tmp_path / "r.pdf"], out) == 4
    done = pdfium.PdfDocument(str(out))
    try:
        page = done[3]
        width, height = page.get_size()  # as displayed: landscape
        assert width > height
        textpage = page.get_textpage()
        found = textpage.search("Blatt 4").get_next()
        assert found is not None
        display = DisplayMap(page)
        boxes = [
            display.area(4, textpage.get_charbox(i))
            for i in range(found[0], found[0] + found[1])
            if textpage.get_text_range(i, 1).strip()
        ]
        x0, top = min(b.x0 for b in boxes), min(b.top for b in boxes)
        x1, bottom = max(b.x1 for b in boxes), max(b.bottom for b in boxes)
        assert x1 > width - 60 and top < 40, (x0, top, x1, bottom)  # top right
        assert x1 - x0 > 2 * (bottom - top)  # a horizontal line of text: upright
        textpage.close()
        page.close()
    finally:
        done.close()


def _pdfa_source(path: Path, lines: list[str], declare: bool) -> Path:
    """A born-digital PDF with its font embedded (DejaVu), declared PDF/A-2b if asked."""
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from ingest import pdfa
    from outbox import fonts

    fonts.register()
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1, initialFontName=fonts.REGULAR)
    for line in lines:
        pdf.setFont(fonts.REGULAR, 12)
        pdf.drawString(72, 700, line)
        pdf.showPage()
    pdf.save()
    if declare:
        with pikepdf.open(path, allow_overwriting_input=True) as doc:
            assert pdfa.declare(doc) == []
            doc.save(path)
    return path


@pytest.mark.parametrize("declared", [True, False])
def test_export_is_pdfa_exactly_when_every_source_is(tmp_path, declared):
    """The cover, contents and stamps embed their font, so an export of PDF/A archives is
    PDF/A-2b itself; one source that is not keeps the export undeclared. The stamps stay
    text: every page's Blatt is extracted by pdftotext."""
    import subprocess
    from datetime import UTC, datetime

    import pikepdf

    from ingest import pdfa
    from records import bundle

    first = _pdfa_source(tmp_path / "a.pdf", ["Bescheid", "Anlage"], declare=True)
    second = _pdfa_source(tmp_path / "b.pdf", ["Nachweis"], declare=declared)
    parts = [
        bundle.Part("Bescheid", None, None, datetime.now(UTC), 2, False),
        bundle.Part("Nachweis", None, None, datetime.now(UTC), 1, False),
    ]
    front = tmp_path / "front.pdf"
    front.write_bytes(
        bundle.front_matter(
            bundle.Cover("Akteneinsicht", "AZ-1", None, "RA", None, "X", datetime.now(UTC), "JC"),
            parts,
        )
    )
    out = tmp_path / "out.pdf"
    assert bundle.assemble(front, [lambda: first, lambda: second], out) == 5
    assert not first.exists() and not second.exists()  # the fetched copies are removed
    if declared:
        assert pdfa.problems(out) == []
    else:
        with pikepdf.open(out) as pdf:
            assert pdf.open_metadata().get("pdfaid:part") is None
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    for number in range(1, 6):
        assert re.search(rf"\bBlatt {number}\b", text[number - 1]), (number, text[number - 1])
    assert "Nachweis" in text[4]


def test_redacted_copy_of_a_pdfa_archive_stays_pdfa(tmp_path):
    """A redacted copy replaces its document in exports, so it must not be what keeps an
    export from being PDF/A: the rebuilt page's invisible layer embeds its font."""
    import subprocess

    from ingest import pdfa
    from records import redaction

    source = _pdfa_source(tmp_path / "a.pdf", ["Herr Şahin Mustermann", "Seite zwei"], declare=True)
    out = tmp_path / "redacted.pdf"
    result = redaction.redact(source, out, terms=["Mustermann"])
    assert result.redacted_pages == [1]
    assert pdfa.problems(out) == []
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Mustermann" not in text and "Şahin" in text and "Seite zwei" in text
