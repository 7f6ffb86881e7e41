"""The Transfervermerk: the scan protocol of TR-RESISCAN (BSI TR-03138) for a delivery.

It records who scanned (contractor, scan operator), with what (scanner model and settings,
resolution), when (time of capture), and how the result was checked (quality-control result
and sample rate, anomalies). akte keeps its original bytes in blob storage, unchanged, and
binds every imported document to it by hash: ``sha256(transfervermerk_sha256 ||
document_sha256)`` (the two hex digests concatenated as ASCII), stored with the document's
delivery item and shown in its provenance.

The file is JSON; keys may be German or English (see ``docs/DELIVERY_FORMAT.md``). The
parsed form keeps every key the contractor sent and adds the recognised fields under their
canonical English names, so later readers need not know every spelling.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ingest.deliveries.manifest import normalize_header

FIELDS: dict[str, tuple[str, ...]] = {
    "delivery_id": ("deliveryid", "lieferung", "lieferungsid", "liefernummer", "lieferid"),
    "contractor": ("contractor", "dienstleister", "auftragnehmer", "scandienstleister"),
    "scan_operator": ("scanoperator", "operator", "bearbeiter", "scanbearbeiter", "erfasser"),
    "scanner_model": ("scannermodel", "scanner", "scannermodell", "geraet", "gerät"),
    "scanner_settings": ("scannersettings", "settings", "scannereinstellungen", "einstellungen"),
    "resolution_dpi": ("resolutiondpi", "resolution", "dpi", "aufloesung", "auflösung"),
    "captured_at": ("capturedat", "timeofcapture", "scanzeitpunkt", "erfassungszeitpunkt",
                    "scanzeitraum", "zeitpunkt"),
    "qc_result": ("qcresult", "qualitycontrolresult", "qualitaetskontrolle",
                  "qualitätskontrolle", "qsergebnis", "pruefergebnis", "prüfergebnis"),
    "qc_sample_rate": ("qcsamplerate", "samplerate", "stichprobenquote", "stichprobe"),
    "anomalies": ("anomalies", "besonderheiten", "auffaelligkeiten", "auffälligkeiten"),
}
REQUIRED = ("contractor", "captured_at", "qc_result")
_ALIASES = {alias: name for name, aliases in FIELDS.items() for alias in aliases}
MAX_BYTES = 5 * 1024 * 1024


class TransfervermerkError(Exception):
    """The Transfervermerk is missing, not JSON, or lacks a required field."""


def parse(data: bytes) -> dict[str, Any]:
    """The parsed protocol: the sender's keys plus recognised fields under ``fields``."""
    if not data.strip():
        raise TransfervermerkError("the Transfervermerk is empty")
    if len(data) > MAX_BYTES:
        raise TransfervermerkError("the Transfervermerk is larger than 5 MB")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransfervermerkError(f"the Transfervermerk is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise TransfervermerkError("the Transfervermerk must be a JSON object")
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        name = _ALIASES.get(normalize_header(str(key)))
        if name is not None and name not in fields:
            fields[name] = value
    missing = [name for name in REQUIRED if fields.get(name) in (None, "")]
    if missing:
        raise TransfervermerkError(
            "the Transfervermerk lacks " + ", ".join(missing) + " (TR-RESISCAN requires them)"
        )
    return {"fields": fields, "original": raw}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def binding_hash(transfervermerk_sha256: str, document_sha256: str) -> str:
    """The record that binds one document to the protocol it was scanned under."""
    return hashlib.sha256((transfervermerk_sha256 + document_sha256).encode("ascii")).hexdigest()
