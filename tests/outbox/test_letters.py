"""Caseworker side: rendered letters use the Akte's address; preview stores nothing."""

from __future__ import annotations

from akte.case_files.models import CaseFile
from akte.core.database import session_scope


def test_rendered_letter_defaults_to_the_akte_address_and_preview_stores_nothing(ctx, client, ow):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    form = {"subject": "Einladung zum Gespräch", "body": "Bitte kommen Sie am Montag."}
    refused = client.post(f"/api/v1/case-files/{case_id}/letters", headers=cw, data=form)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("address_zone")
    with session_scope(ctx.session_factory) as session:
        case = session.get(CaseFile, case_id)
        case.person_name = "Jürgen Öztürk"
        case.address_lines = "Am Markt 7\n99999 Neustadt"
    preview = client.post(f"/api/v1/case-files/{case_id}/letters/preview", headers=cw, data=form)
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    assert preview.headers["x-letter-check"] == "ok"
    assert client.get(f"/api/v1/case-files/{case_id}/letters", headers=cw).json()["total"] == 0
    created = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "product": "einschreiben_rueckschein"},
    )
    assert created.status_code == 201, created.text
    letter = created.json()
    assert letter["recipient"] == "Jürgen Öztürk\nAm Markt 7\n99999 Neustadt"
    assert letter["product"] == "einschreiben_rueckschein" and letter["subject"] == form["subject"]
    document = client.get(f"/api/v1/documents/{letter['document_id']}", headers=cw).json()
    assert document["source"] == "letter" and document["title"] == form["subject"]
    content = client.get(f"/api/v1/documents/{letter['document_id']}/content", headers=cw)
    assert content.content[:5] == b"%PDF-"


def test_settings_are_per_tenant_and_admin_only(client, ow):
    world = ow.world
    admin = world.headers["admin_a"]
    values = client.get("/api/v1/outbox/settings", headers=admin).json()
    values["cutoff_times"] = ["10:30", "15:00"]
    assert client.put("/api/v1/outbox/settings", headers=admin, json=values).status_code == 200
    assert client.get("/api/v1/outbox/settings", headers=admin).json()["cutoff_times"] == [
        "10:30",
        "15:00",
    ]
    values["cutoff_times"] = ["25:99"]
    assert client.put("/api/v1/outbox/settings", headers=admin, json=values).status_code == 422
    assert (
        client.get("/api/v1/outbox/settings", headers=world.headers["caseworker_a1"]).status_code
        == 403
    )
