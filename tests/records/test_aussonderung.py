"""Aussonderung to the archive (xdomea 0501-0507), played through with the messages an
archive sends: offered Akten are held, the evaluation decides which go over, the 0503
carries their files, and the import confirmation releases them; every message is checked
by the official schemas and refused with a reason when it does not belong."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.retention.models import LegalHold
from tests.builders import World, make_case_file
from tests.ingest.samples import text_pdf
from tests.records.conftest import add_processed

OFFICIAL = Path("/work/shared/xdomea")
ADMIN = "admin_a"
LISTS = {
    "nachrichtentyp": ("urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0"),
    "aussonderungsart": ("urn:xoev-de:xdomea:codeliste:aussonderungsart", "1.0"),
}


def archive_message(version: str, element: str, code: str, process_id: str, body=None) -> bytes:  # type: ignore[no-untyped-def]
    """A message as the archive's transfer tool writes it (built by hand from the schema)."""
    ns = f"urn:xoev-de:xdomea:schema:{version}"

    def el(parent, name, text=None, **attrs):  # type: ignore[no-untyped-def]
        node = etree.SubElement(parent, f"{{{ns}}}{name}", **attrs)
        if text is not None:
            node.text = text
        return node

    def listed(parent, name, value, kind):  # type: ignore[no-untyped-def]
        uri, list_version = LISTS[kind]
        etree.SubElement(
            el(parent, name, listURI=uri, listVersionID=list_version), "code"
        ).text = value

    root = etree.Element(f"{{{ns}}}{element}", nsmap={"xdomea": ns})
    head = el(root, "Kopf")
    el(head, "ProzessID", process_id)
    listed(head, "Nachrichtentyp", code, "nachrichtentyp")
    el(head, "Erstellungszeitpunkt", datetime.now(UTC).replace(microsecond=0).isoformat())
    el(el(el(head, "Absender"), "Institution"), "Name", "Landesarchiv")
    el(el(el(head, "Empfaenger"), "Institution"), "Name", "Jobcenter A")
    if code == "0502":
        el(head, "Empfangsbestaetigung", "1")
    if body:
        body(root, el, listed)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def evaluation_0502(version, process_id, decisions):  # type: ignore[no-untyped-def]
    def body(root, el, listed):  # type: ignore[no-untyped-def]
        for object_id, decision in decisions:
            node = el(root, "BewertetesObjekt")
            el(node, "ID", object_id)
            listed(el(node, "Aussonderungsart"), "Aussonderungsart", decision, "aussonderungsart")

    return archive_message(
        version, "Aussonderung.Bewertungsverzeichnis.0502", "0502", process_id, body
    )


def import_0506(version, process_id, verdicts):  # type: ignore[no-untyped-def]
    def body(root, el, _listed):  # type: ignore[no-untyped-def]
        for object_id, ok, text, ref in verdicts:
            node = el(root, "AusgesondertesSGO")
            el(node, "IDSGO", object_id)
            el(node, "Erfolgreich", "true" if ok else "false")
            if text:
                el(node, "Fehlermeldung", text)
            if ref:
                el(node, "Archivkennung", ref)

    return archive_message(
        version, "Aussonderung.AussonderungImportBestaetigen.0506", "0506", process_id, body
    )


def _official(version: str):  # type: ignore[no-untyped-def]
    return etree.XMLSchema(
        etree.parse(str(OFFICIAL / version / "xdomea-Nachrichten-AussonderungDurchfuehren.xsd"))
    )


@pytest.fixture
def closed(ctx, world: World) -> dict:
    """Three closed Akten of tenant A (two with a document), one open Akte."""
    ids = {}
    with session_scope(ctx.session_factory) as session:
        from akte.case_files.models import CaseFile
        from akte.tenants.models import OrgUnit, Tenant

        tenant = session.get(Tenant, world.tenant_a.id)
        unit = session.get(OrgUnit, world.unit_a1.id)
        past = datetime.now(UTC) - timedelta(days=4000)
        for name in ("keep", "destroy", "unrated"):
            ids[name] = make_case_file(session, tenant, unit, status="closed", closed_at=past).id
        ids["open"] = world.case_a1.id
        assert session.get(CaseFile, ids["keep"]).status == "closed"
    ids["doc_keep"] = add_processed(
        ctx, world.tenant_a.id, ids["keep"], text_pdf([["Bewilligungsbescheid 2014"]]), "Bescheid"
    )
    ids["doc_destroy"] = add_processed(
        ctx,
        world.tenant_a.id,
        ids["destroy"],
        text_pdf([["Kontoauszug der Sparkasse"]]),
        "Kontoauszug",
    )
    return ids


def _send(client, world, row_id, data: bytes, who=ADMIN, media="application/xml"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/aussonderungen/{row_id}/messages",
        content=data,
        headers={**world.headers[who], "Content-Type": media},
    )


def _holds(ctx, case_file_id) -> list[LegalHold]:  # type: ignore[no-untyped-def]
    with session_scope(ctx.session_factory) as session:
        return list(
            session.scalars(
                select(LegalHold).where(
                    LegalHold.case_file_id == case_file_id, LegalHold.released_at.is_(None)
                )
            )
        )


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_aussonderung_from_offer_to_import_confirmation(client, ctx, world, closed, version):
    headers = world.headers[ADMIN]
    keep, destroy, unrated = str(closed["keep"]), str(closed["destroy"]), str(closed["unrated"])
    r = client.post(
        "/api/v1/aussonderungen",
        headers=headers,
        json={
            "recipient": "Landesarchiv Thüringen",
            "case_file_ids": [keep, destroy, unrated],
            "xdomea_version": version,
        },
    )
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["status"] == "offered" and len(row["items"]) == 3
    assert all(len(_holds(ctx, closed[k])) == 1 for k in ("keep", "destroy", "unrated"))
    # the offer (0501) validates against the official schema and lists the Akten
    offer = client.get(f"/api/v1/aussonderungen/{row['id']}/offer", headers=headers)
    assert offer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(offer.content)) as zf:
        xml = zf.read(f"{row['id']}_Aussonderung.Anbieteverzeichnis.0501.xml")
    root = etree.fromstring(xml)
    assert _official(version).validate(root), _official(version).error_log
    ns = {"x": f"urn:xoev-de:xdomea:schema:{version}"}
    offered = root.xpath("x:Schriftgutobjekt/x:Akte/x:Identifikation/x:ID/text()", namespaces=ns)
    assert sorted(offered) == sorted([keep, destroy, unrated])
    assert str(closed["doc_keep"]) in root.xpath(
        ".//x:Dokument/x:Identifikation/x:ID/text()", namespaces=ns
    )
    # an Akte offered and not yet decided is not offered twice
    again = client.post(
        "/api/v1/aussonderungen",
        headers=headers,
        json={"recipient": "Landesarchiv", "case_file_ids": [keep]},
    )
    assert again.status_code == 409 and again.json()["error"] == "already_offered"

    receipt = archive_message(
        version, "Aussonderung.AnbietungEmpfangBestaetigen.0504", "0504", row["id"]
    )
    assert _send(client, world, row["id"], receipt).status_code == 200
    # the import confirmation before the evaluation is out of turn
    early = import_0506(version, row["id"], [(keep, True, None, "LATh 1")])
    assert _send(client, world, row["id"], early).json()["error"] == "wrong_step"

    r = _send(
        client, world, row["id"], evaluation_0502(version, row["id"], [(keep, "A"), (destroy, "V")])
    )
    assert r.status_code == 200, r.text
    states = {i["case_file_id"]: (i["decision"], i["state"]) for i in r.json()["items"]}
    assert states == {
        keep: ("A", "archive"),
        destroy: ("V", "destroy"),
        unrated: (None, "undecided"),
    }
    assert r.json()["status"] == "building"
    assert _holds(ctx, closed["destroy"]) == []  # retention may delete it now
    assert len(_holds(ctx, closed["unrated"])) == 1  # not decided: still held
    assert len(_holds(ctx, closed["keep"])) == 1  # until the archive has it

    run_until_idle(ctx)
    state = client.get(f"/api/v1/aussonderungen/{row['id']}", headers=headers).json()
    assert state["status"] == "transferred", state
    package = client.get(f"/api/v1/aussonderungen/{row['id']}/package", headers=headers)
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as zf:
        message = zf.read(f"{row['id']}_Aussonderung.Aussonderung.0503.xml")
        root = etree.fromstring(message)
        assert _official(version).validate(root), _official(version).error_log
        akten = root.xpath("x:Schriftgutobjekt/x:Akte/x:Identifikation/x:ID/text()", namespaces=ns)
        assert akten == [keep]  # only the A-Akte goes over
        files = root.xpath(".//x:Primaerdokument/x:Dateiname/text()", namespaces=ns)
        assert len(files) == 1 and files[0] in zf.namelist()
        assert zf.read(files[0])[:4] == b"%PDF"

    r = _send(
        client,
        world,
        row["id"],
        import_0506(version, row["id"], [(keep, True, None, "LATh 6-12/2026")]),
    )
    assert r.status_code == 200, r.text
    item = next(i for i in r.json()["items"] if i["case_file_id"] == keep)
    assert (item["state"], item["archive_ref"]) == ("archived", "LATh 6-12/2026")
    assert r.json()["status"] == "done"
    assert _holds(ctx, closed["keep"]) == []
    codes = [m["code"] for m in r.json()["messages"]]
    assert codes == ["0504", "0502", "0506"]


def test_messages_that_do_not_belong_are_refused(client, ctx, world, closed):
    headers = world.headers[ADMIN]
    keep = str(closed["keep"])
    r = client.post(
        "/api/v1/aussonderungen",
        headers=headers,
        json={"recipient": "Landesarchiv", "case_file_ids": [keep], "xdomea_version": "3.1.0"},
    )
    row = r.json()
    cases = [
        (b"<nicht wohlgeformt", "invalid_xdomea"),
        (evaluation_0502("3.1.0", str(uuid.uuid4()), [(keep, "A")]), "process_mismatch"),
        (evaluation_0502("3.1.0", row["id"], [(str(closed["destroy"]), "V")]), "unknown_object"),
        (
            evaluation_0502("3.1.0", row["id"], [(keep, "A")]).replace(
                b"<xdomea:ID>", b"<xdomea:Kennung/><xdomea:ID>"
            ),
            "invalid_xdomea",
        ),
        (
            archive_message("3.1.0", "Aussonderung.Aussonderung.0503", "0503", row["id"]),
            "invalid_xdomea",
        ),  # a message akte sends, not one it reads
    ]
    for data, code in cases:
        r = _send(client, world, row["id"], data)
        assert r.status_code == 422 and r.json()["error"] == code, (code, r.text)
    state = client.get(f"/api/v1/aussonderungen/{row['id']}", headers=headers).json()
    assert state["messages"] == [] and state["items"][0]["state"] == "offered"
    # an open Akte and another tenant's Akte are not offered
    r = client.post(
        "/api/v1/aussonderungen",
        headers=headers,
        json={"recipient": "Landesarchiv", "case_file_ids": [str(closed["open"])]},
    )
    assert r.status_code == 422 and r.json()["error"] == "akte_not_closed"
    r = client.post(
        "/api/v1/aussonderungen",
        headers=headers,
        json={"recipient": "Landesarchiv", "case_file_ids": [str(world.case_b1.id)]},
    )
    assert r.status_code == 404


def test_only_the_tenants_admins_see_and_act(client, ctx, world, closed):
    r = client.post(
        "/api/v1/aussonderungen",
        headers=world.headers[ADMIN],
        json={"recipient": "Landesarchiv", "case_file_ids": [str(closed["keep"])]},
    )
    row_id = r.json()["id"]
    for who in ("caseworker_a1", "caseworker_b", "system_admin", "provider_a"):
        listing = client.get("/api/v1/aussonderungen", headers=world.headers[who])
        assert row_id not in listing.text, who
        assert (
            client.get(f"/api/v1/aussonderungen/{row_id}", headers=world.headers[who]).status_code
            == 404
        ), who
        assert (
            client.get(
                f"/api/v1/aussonderungen/{row_id}/offer", headers=world.headers[who]
            ).status_code
            == 404
        ), who
        offered = client.post(
            "/api/v1/aussonderungen",
            headers=world.headers[who],
            json={"recipient": "Landesarchiv", "case_file_ids": [str(closed["unrated"])]},
        )
        assert offered.status_code in (403, 404), (who, offered.text)
    listing = client.get("/api/v1/aussonderungen", headers=world.headers[ADMIN]).json()
    assert [i["id"] for i in listing["items"]] == [row_id]


def test_the_shell_offers_and_records_the_archives_answer(ctx, world, closed, tmp_path):
    from typer.testing import CliRunner

    from akte.case_files.models import CaseFile
    from records.cli import xdomea_app
    from tests.outbox.test_cli import _env

    with session_scope(ctx.session_factory) as session:
        number = session.get(CaseFile, closed["keep"]).aktenzeichen
    runner, env = CliRunner(), _env(ctx.settings)
    admin, caseworker = world.users[ADMIN].username, world.users["caseworker_a1"].username
    base = [
        "offer",
        number,
        "--tenant",
        world.tenant_a.slug,
        "--recipient",
        "Landesarchiv",
        "--out",
        str(tmp_path),
    ]
    refused = runner.invoke(xdomea_app, [*base, "--user", caseworker], env=env)
    assert refused.exit_code == 2 and "refused" in refused.output
    done = runner.invoke(xdomea_app, [*base, "--user", admin], env=env)
    assert done.exit_code == 0, done.output
    [offer] = list(tmp_path.glob("*_Aussonderung.Anbieteverzeichnis.0501.zip"))
    process_id = offer.name.split("_")[0]

    # handed to the archive's transfer folder again: the same bytes, by a tenant admin only
    archive = tmp_path / "archiv"
    send = ["send", offer.name, "--out", str(archive)]
    sent = runner.invoke(
        xdomea_app, [*send, "--tenant", world.tenant_a.slug, "--user", admin], env=env
    )
    assert sent.exit_code == 0, sent.output
    assert (archive / offer.name).read_bytes() == offer.read_bytes()
    assert [p.name for p in archive.iterdir()] == [offer.name], "no partial file left"
    for tenant, user in ((world.tenant_a.slug, caseworker), (world.tenant_b.slug, admin)):
        denied = runner.invoke(xdomea_app, [*send, "--tenant", tenant, "--user", user], env=env)
        assert denied.exit_code == 2, (tenant, user, denied.output)
    unknown = runner.invoke(
        xdomea_app,
        [
            "send",
            "x_0501.zip",
            "--out",
            str(archive),
            "--tenant",
            world.tenant_a.slug,
            "--user",
            admin,
        ],
        env=env,
    )
    assert unknown.exit_code == 2 and "no package" in unknown.output
    answer = tmp_path / "0502.xml"
    answer.write_bytes(evaluation_0502("3.0.0", process_id, [(str(closed["keep"]), "V")]))
    recorded = runner.invoke(
        xdomea_app,
        ["import", str(answer), "--tenant", world.tenant_a.slug, "--user", admin],
        env=env,
    )
    assert recorded.exit_code == 0 and "0502 recorded, evaluated" in recorded.output
    assert _holds(ctx, closed["keep"]) == []
