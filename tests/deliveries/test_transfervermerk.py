"""The TR-RESISCAN Transfervermerk: a published JSON Schema, validated on import with the
field named, a detached Ed25519 signature required for higher protection levels, and the
per-document anomalies shown to the caseworker."""

from __future__ import annotations

import base64
import json

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from akte.core.database import session_scope
from akte.tenants.models import Tenant
from ingest.deliveries.transfervermerk import json_schema
from tests.builders import unique
from tests.deliveries.conftest import PROJECT, TRANSFERVERMERK, pdf_bytes, sha
from tests.deliveries.test_api import MANIFEST_HEADER, put

SCHEMA = PROJECT / "docs" / "transfervermerk.schema.json"
FULL = {
    "lieferung": "L-2026-11-0042",
    "dienstleister": {"name": "Scan & Archiv GmbH", "anschrift": "Hafenstr. 1, 28195 Bremen"},
    "verantwortlich": "Dr. A. Beispiel",
    "scan_operator": "M. Müller",
    "scanner": "Fujitsu fi-7900",
    "scannereinstellungen": {"mode": "bitonal", "duplex": True, "compression": "G4"},
    "dpi": 300,
    "scanzeitraum": "2026-11-02/2026-11-06",
    "schutzbedarf": "hoch",
    "verfahrensdokumentation": "VD-Scan-2026 v3, Abschnitt 4",
    "qualitaetskontrolle": {"result": "bestanden", "checked": 214, "errors": 0},
    "stichprobe": 0.05,
    "konformitaetserklaerung": "Bildliche und inhaltliche Übereinstimmung mit dem Original "
    "wurde geprüft.",
    "papierverbleib": {"action": "rueckgabe", "after": "2027-06-30", "by": "Jobcenter"},
    "signatur": {"method": "ed25519", "key_id": "scan-archiv-2026", "signer": "Dr. A. Beispiel"},
    "besonderheiten": ["Karton 3 feucht geworden, getrocknet"],
    "dokumente": [
        {
            "externe_id": "TV-A",
            "besonderheiten": ["Seite 2 eingerissen"],
            "bemerkung": "Heftklammer entfernt",
        }
    ],
}


def test_published_schema_is_the_one_enforced():
    assert json.loads(SCHEMA.read_text()) == json_schema(), (
        "regenerate docs/transfervermerk.schema.json from ingest.deliveries.transfervermerk"
    )
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    canonical = {
        "delivery_id": "L1",
        "contractor": "X",
        "captured_at": "2026-11-02",
        "qc_result": "ok",
        "protection_level": "hoch",
        "signature": {"method": "ed25519", "key_id": "k"},
        "documents": [{"external_id": "A", "anomalies": ["x"]}],
    }
    assert validator.is_valid(canonical)
    assert not validator.is_valid({**canonical, "signature": None})
    assert not validator.is_valid({k: v for k, v in canonical.items() if k != "signature"})
    assert not validator.is_valid({**canonical, "protection_level": "mittel"})


def _create(client, headers, tv: bytes, manifest: str, signature: bytes | None = None):
    files = {
        "manifest": ("manifest.csv", manifest.encode(), "text/csv"),
        "transfervermerk": ("transfervermerk.json", tv, "application/json"),
    }
    if signature is not None:
        files["transfervermerk_signature"] = (
            "transfervermerk.sig",
            signature,
            "application/octet-stream",
        )
    return client.post(
        "/api/v1/deliveries", headers=headers, files=files, data={"external_id": unique("TV")}
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"schutzbedarf": "mittel"}, "protection_level"),
        ({"resolution_dpi": "viel"}, "resolution_dpi"),
        ({"papierverbleib": {"action": "verbrennen"}}, "paper_disposition.action"),
        ({"dokumente": [{"besonderheiten": ["x"]}]}, "documents.0.external_id"),
        ({"konformitaetserklaerung": False}, "conformity_statement"),
    ],
)
def test_a_bad_field_is_named(client, world, change, field):
    tv = {**TRANSFERVERMERK, **change}
    r = _create(
        client,
        world.headers["importer_a"],
        json.dumps(tv).encode(),
        MANIFEST_HEADER + "X;AZ;A;T;1;;x.pdf\n",
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_transfervermerk"
    assert field in r.json()["detail"]


def test_signed_transfervermerk_and_per_document_anomalies(client, ctx, world, tmp_path):
    imp = world.headers["importer_a"]
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    tv = json.dumps(FULL, ensure_ascii=False).encode()
    data = pdf_bytes(2, "Mietvertrag")
    manifest = (
        "ID;Karton;Aktenzeichen;Dokumentart;Titel;Seitenzahl;SHA256;Dateiname\n"
        f"TV-A;K-03;{world.case_a1.aktenzeichen};Mietvertrag;Mietvertrag;2;{sha(data)};"
        "karton3/a.pdf\n"
    )

    unsigned = _create(client, imp, tv, manifest)
    assert unsigned.status_code == 422 and unsigned.json()["error"] == "signature_required"
    unknown = _create(client, imp, tv, manifest, base64.b64encode(key.sign(tv)))
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_signing_key"
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        tenant.options = {
            **tenant.options,
            "import_signing_keys": {"scan-archiv-2026": public.decode()},
        }
    forged = _create(
        client, imp, tv.replace(b"feucht", b"trocken"), manifest, base64.b64encode(key.sign(tv))
    )
    assert forged.status_code == 422 and forged.json()["error"] == "invalid_signature"

    created = _create(client, imp, tv, manifest, base64.b64encode(key.sign(tv)))
    assert created.status_code == 201, created.text
    fields = created.json()["transfervermerk"]["fields"]
    assert fields["protection_level"] == "hoch"
    assert fields["paper_disposition"]["action"] == "rueckgabe"
    assert created.json()["transfervermerk"]["signature_verified"]["key_id"] == "scan-archiv-2026"
    item = put(client, imp, created.json()["id"], "TV-A", data).json()

    caseworker = world.headers["caseworker_a1"]
    prov = client.get(
        f"/api/v1/documents/{item['document_id']}/provenance", headers=caseworker
    ).json()
    assert prov["document_anomalies"] == ["Seite 2 eingerissen"]
    assert prov["delivery_anomalies"] == ["Karton 3 feucht geworden, getrocknet"]
    assert prov["filename"] == "karton3/a.pdf" and prov["pages"] == 2
    assert prov["signed_by_key"] == "scan-archiv-2026" and prov["box"] == "K-03"

    from tests.web.conftest import browser, login

    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username)
        page = web.get(f"/app/documents/{item['document_id']}").text
    assert "Herkunft: Scan-Import" in page and "Seite 2 eingerissen" in page
    assert "Karton K-03, karton3/a.pdf" in page and "scan-archiv-2026" in page
