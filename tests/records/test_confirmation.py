"""The receiver's import confirmation (xdomea 0402) of an Abgabe: read by the official
schema, matched to the Abgabe it confirms, recorded with each object's verdict, and refused
with a reason when it is not a confirmation of this Abgabe."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime

import pytest
from lxml import etree
from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from tests.builders import World
from tests.ingest.samples import text_pdf
from tests.records.conftest import add_processed, sha256

HEADERS = "caseworker_a1"


def confirmation_0402(
    version: str, process_id: str, verdicts: list[tuple[str, bool, list[str]]]
) -> bytes:
    """An 0402 as a receiving DMS or archive writes it (built by hand from the schema)."""
    ns = f"urn:xoev-de:xdomea:schema:{version}"

    def el(parent, name, text=None, **attrs):
        node = etree.SubElement(parent, f"{{{ns}}}{name}", **attrs)
        if text is not None:
            node.text = text
        return node

    root = etree.Element(f"{{{ns}}}Abgabe.ImportBestaetigen.0402", nsmap={"xdomea": ns})
    head = el(root, "Kopf")
    el(head, "ProzessID", process_id)
    kind = el(
        head,
        "Nachrichtentyp",
        listURI="urn:xoev-de:xdomea:codeliste:nachrichtentyp",
        listVersionID="2.0",
    )
    etree.SubElement(kind, "code").text = "0402"
    el(head, "Erstellungszeitpunkt", datetime.now(UTC).replace(microsecond=0).isoformat())
    el(el(el(head, "Absender"), "Institution"), "Name", "Jobcenter Nachbarkreis")
    el(el(el(head, "Empfaenger"), "Institution"), "Name", "Jobcenter A")
    for object_id, ok, messages in verdicts:
        node = el(root, "AbgegebenesObjekt")
        el(node, "IDSGO", object_id)
        el(node, "Erfolgreich", "true" if ok else "false")
        for message in messages:
            el(node, "Fehlermeldung", message)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def abgabe(client, ctx, world: World) -> dict:
    """A built xdomea Abgabe of Akte a1 with two documents."""
    first = add_processed(
        ctx,
        world.tenant_a.id,
        world.case_a1.id,
        text_pdf([["Antrag auf Bürgergeld vom Mai"]]),
        "Antrag",
    )
    second = add_processed(
        ctx, world.tenant_a.id, world.case_a1.id, text_pdf([["Lohnabrechnung für den Mai"]]), "Lohn"
    )
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/exports",
        json={
            "kind": "xdomea-abgabe",
            "recipient": "Jobcenter Nachbarkreis",
            "xdomea_version": "3.1.0",
        },
        headers=world.headers[HEADERS],
    )
    assert r.status_code == 202, r.text
    run_until_idle(ctx)
    export = client.get(f"/api/v1/exports/{r.json()['id']}", headers=world.headers[HEADERS]).json()
    assert export["status"] == "ready" and export["confirmation_status"] is None
    return {"id": export["id"], "akte": str(world.case_a1.id), "docs": [str(first), str(second)]}


def _send(client, world, export_id, body: bytes, who=HEADERS, media="application/xml"):
    return client.post(
        f"/api/v1/exports/{export_id}/confirmation",
        content=body,
        headers={**world.headers[who], "Content-Type": media},
    )


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_a_full_confirmation_is_recorded_with_its_bytes(client, ctx, world, abgabe, version):
    verdicts = [(abgabe["akte"], True, []), *((d, True, []) for d in abgabe["docs"])]
    message = confirmation_0402(version, abgabe["id"], verdicts)
    r = _send(client, world, abgabe["id"], message)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["confirmation_status"] == "confirmed" and body["confirmed_at"]
    assert body["confirmation"]["version"] == version
    assert body["confirmation"]["missing"] == []
    assert {o["id"] for o in body["confirmation"]["objects"]} == {abgabe["akte"], *abgabe["docs"]}
    # kept byte for byte, and audited
    assert ctx.storage.read_bytes(sha256(message)) == message
    with session_scope(ctx.session_factory) as session:
        entries = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "records.export.confirmation",
                    AuditEntry.object_id == abgabe["akte"],
                )
            )
        )
    assert len(entries) == 1 and entries[0].detail["status"] == "confirmed"
    # a retried upload of the same bytes is answered as before; a different one is 409
    assert _send(client, world, abgabe["id"], message).status_code == 200
    other = confirmation_0402(version, abgabe["id"], [(abgabe["akte"], False, ["kaputt"])])
    r = _send(client, world, abgabe["id"], other)
    assert r.status_code == 409 and r.json()["error"] == "already_confirmed"


def test_a_partial_confirmation_keeps_the_reasons_and_the_zip_form_is_read(client, world, abgabe):
    verdicts = [
        (abgabe["akte"], True, []),
        (abgabe["docs"][0], True, []),
        (abgabe["docs"][1], False, ["Format nicht lesbar", "bitte erneut senden"]),
    ]
    message = confirmation_0402("3.1.0", abgabe["id"], verdicts)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr(f"{abgabe['id']}_Abgabe.ImportBestaetigen.0402.xml", message)
    r = _send(client, world, abgabe["id"], package.getvalue(), media="application/zip")
    assert r.status_code == 200, r.text
    confirmation = r.json()["confirmation"]
    assert r.json()["confirmation_status"] == "partial"
    failed = [o for o in confirmation["objects"] if not o["imported"]]
    assert failed == [
        {
            "id": abgabe["docs"][1],
            "imported": False,
            "messages": ["Format nicht lesbar", "bitte erneut senden"],
        }
    ]


def test_what_is_not_a_confirmation_of_this_abgabe_is_refused(client, world, abgabe):
    akte, docs, export_id = abgabe["akte"], abgabe["docs"], abgabe["id"]
    cases = [
        (b"<kein xml", "invalid_xdomea"),
        (
            confirmation_0402("3.1.0", export_id, [(akte, True, [])]).replace(
                b"<xdomea:IDSGO>", b"<xdomea:Unbekannt/><xdomea:IDSGO>"
            ),
            "invalid_xdomea",
        ),
        (confirmation_0402("2.4.0", export_id, [(akte, True, [])]), "invalid_xdomea"),
        (confirmation_0402("3.1.0", str(uuid.uuid4()), [(akte, True, [])]), "process_mismatch"),
        (
            confirmation_0402(
                "3.1.0", export_id, [(docs[0], True, []), (str(uuid.uuid4()), True, [])]
            ),
            "unknown_object",
        ),
    ]
    for body, code in cases:
        r = _send(client, world, export_id, body)
        assert r.status_code == 422 and r.json()["error"] == code, (code, r.text)
        assert r.json()["detail"]
    # an 0401 validates against the same schema file, but is not a confirmation
    r = _send(
        client,
        world,
        export_id,
        confirmation_0402("3.1.0", export_id, []).replace(
            b"ImportBestaetigen.0402", b"Abgabe.0401"
        ),
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_xdomea"
    r = _send(client, world, export_id, b"{}", media="application/json")
    assert r.status_code == 415
    r = _send(client, world, export_id, b"PK not a zip", media="application/zip")
    assert r.status_code == 422 and r.json()["error"] == "invalid_xdomea"
    state = client.get(f"/api/v1/exports/{export_id}", headers=world.headers[HEADERS]).json()
    assert state["confirmation_status"] is None  # nothing of the refused ones was stored


def test_only_the_akte_owner_records_and_only_for_an_abgabe(client, ctx, world, abgabe):
    message = confirmation_0402("3.1.0", abgabe["id"], [(abgabe["akte"], True, [])])
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        r = _send(client, world, abgabe["id"], message, who=who)
        assert r.status_code == 404, (who, r.text)
    for who in ("provider_a", "importer_a", "system_admin"):
        assert _send(client, world, abgabe["id"], message, who=who).status_code in (403, 404)
    state = client.get(f"/api/v1/exports/{abgabe['id']}", headers=world.headers[HEADERS])
    assert state.json()["confirmation_status"] is None
    court = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/exports",
        json={"kind": "court", "recipient": "Sozialgericht"},
        headers=world.headers[HEADERS],
    )
    run_until_idle(ctx)
    r = _send(client, world, court.json()["id"], message)
    assert r.status_code == 409 and r.json()["error"] == "not_an_abgabe"


def test_the_shell_records_a_confirmation_with_the_users_rights(ctx, world, abgabe, tmp_path):
    from typer.testing import CliRunner

    from records.cli import xdomea_app
    from tests.outbox.test_cli import _env

    message = confirmation_0402("3.0.0", abgabe["id"], [(abgabe["akte"], True, [])])
    path = tmp_path / f"{abgabe['id']}_Abgabe.ImportBestaetigen.0402.xml"
    path.write_bytes(message)
    runner = CliRunner()
    args = ["import", str(path), "--tenant", world.tenant_a.slug]
    refused = runner.invoke(
        xdomea_app, [*args, "--user", world.users["caseworker_a2"].username], env=_env(ctx.settings)
    )
    assert refused.exit_code == 2 and "refused" in refused.output
    done = runner.invoke(
        xdomea_app, [*args, "--user", world.users["caseworker_a1"].username], env=_env(ctx.settings)
    )
    assert done.exit_code == 0, done.output
    # the Akte a1 was sent, the documents are missing from the verdicts: still confirmed
    assert "confirmed" in done.output
    path.write_bytes(b"<kaputt")
    broken = runner.invoke(
        xdomea_app, [*args, "--user", world.users["caseworker_a1"].username], env=_env(ctx.settings)
    )
    assert broken.exit_code == 2 and "well-formed" in broken.output
