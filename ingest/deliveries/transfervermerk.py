"""The Transfervermerk: the scan protocol of TR-RESISCAN (BSI TR-03138) for a delivery.

It records who scanned (the scanning organisation, the responsible person, the operator),
with what (device and settings, resolution), when, under which protection level
(Schutzbedarf), following which process documentation, how the result was checked (quality
check, sample rate), the statement that image and content match the original, what happens
to the paper, and anomalies, for the delivery and per document (``documents``). For the
protection levels ``hoch`` and ``sehr hoch`` it must be signed: a detached Ed25519 signature
over the file's exact bytes, by a key the tenant registered (tenant option
``import_signing_keys``: key id → base64 public key), verified on import.

The contract is :class:`Transfervermerk`; ``docs/transfervermerk.schema.json`` is generated
from it (a test keeps the two equal). Keys may be German or English (:data:`FIELDS`); the
parsed form keeps every key the contractor sent (``original``) and the validated fields
under their canonical English names (``fields``). A failure names the field (422).

akte keeps the original bytes in blob storage, unchanged, and binds every imported document
to them by hash: ``sha256(transfervermerk_sha256 || document_sha256)`` (the two hex digests
concatenated as ASCII), stored with the document's delivery item and shown in its
provenance.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.deliveries.manifest import normalize_header

FIELDS: dict[str, tuple[str, ...]] = {
    "delivery_id": ("deliveryid", "lieferung", "lieferungsid", "liefernummer", "lieferid"),
    "contractor": (
        "contractor",
        "dienstleister",
        "auftragnehmer",
        "scandienstleister",
        "scanningorganisation",
        "scanstelle",
    ),
    "responsible_person": (
        "responsibleperson",
        "verantwortlich",
        "verantwortlicheperson",
        "verantwortlicher",
    ),
    "scan_operator": ("scanoperator", "operator", "bearbeiter", "scanbearbeiter", "erfasser"),
    "scanner_model": ("scannermodel", "scanner", "scannermodell", "geraet", "gerät"),
    "scanner_settings": ("scannersettings", "settings", "scannereinstellungen", "einstellungen"),
    "resolution_dpi": ("resolutiondpi", "resolution", "dpi", "aufloesung", "auflösung"),
    "captured_at": (
        "capturedat",
        "timeofcapture",
        "scanzeitpunkt",
        "erfassungszeitpunkt",
        "scanzeitraum",
        "zeitpunkt",
        "scandatum",
    ),
    "protection_level": ("protectionlevel", "schutzbedarf", "schutzbedarfsstufe"),
    "process_documentation": (
        "processdocumentation",
        "verfahrensdokumentation",
        "verfahrensanweisung",
    ),
    "qc_result": (
        "qcresult",
        "qualitycontrolresult",
        "qualitycheck",
        "qualitaetskontrolle",
        "qualitätskontrolle",
        "qsergebnis",
        "pruefergebnis",
        "prüfergebnis",
    ),
    "qc_sample_rate": ("qcsamplerate", "samplerate", "stichprobenquote", "stichprobe"),
    "conformity_statement": (
        "conformitystatement",
        "konformitaetserklaerung",
        "konformitätserklärung",
        "uebereinstimmung",
        "übereinstimmung",
    ),
    "paper_disposition": (
        "paperdisposition",
        "papierverbleib",
        "verbleibpapier",
        "verbleibderoriginale",
        "originale",
    ),
    "signature": ("signature", "signatur", "siegel", "seal"),
    "anomalies": ("anomalies", "besonderheiten", "auffaelligkeiten", "auffälligkeiten"),
    "documents": ("documents", "dokumente", "einzelvermerke"),
    "corrects": (
        "corrects",
        "correctsdelivery",
        "korrekturzu",
        "korrekturvon",
        "korrigiertlieferung",
        "berichtigtlieferung",
    ),
}
_DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "external_id": ("externalid", "externeid", "id", "dokumentid", "documentid", "barcode"),
    "anomalies": FIELDS["anomalies"],
    "remarks": ("remarks", "bemerkung", "bemerkungen", "hinweis"),
    "pages": ("pages", "seiten", "seitenzahl"),
}
_ALIASES = {alias: name for name, aliases in FIELDS.items() for alias in aliases}
_DOC_ALIASES = {alias: name for name, aliases in _DOCUMENT_FIELDS.items() for alias in aliases}
MAX_BYTES = 5 * 1024 * 1024
SIGNED_LEVELS = ("hoch", "sehr hoch")
REQUIRED = ("contractor", "captured_at", "qc_result")
KEYS_OPTION = "import_signing_keys"
#: Where a delivery folder or ZIP carries the detached signature (next to the protocol).
SIGNATURE_NAMES = (
    "transfervermerk.sig",
    "transfervermerk.json.sig",
    "transfer.json.sig",
    "scanprotokoll.json.sig",
)


class TransfervermerkError(Exception):
    """The Transfervermerk is missing, not JSON, lacks or misstates a field, or its
    signature does not verify. ``code`` is the API error code."""

    def __init__(self, message: str, code: str = "invalid_transfervermerk") -> None:
        super().__init__(message)
        self.code = code


class ProtectionLevel(enum.StrEnum):
    """Schutzbedarf of the scanned documents (TR-03138 / BSI IT-Grundschutz)."""

    normal = "normal"
    hoch = "hoch"
    sehr_hoch = "sehr hoch"


class PaperFate(enum.StrEnum):
    destroyed = "vernichtung"  # destroyed after the period below (ersetzendes Scannen)
    returned = "rueckgabe"  # returned to the authority
    kept = "aufbewahrung"  # kept (by the contractor or the authority)


class PaperDisposition(BaseModel):
    """What happens to the paper originals."""

    model_config = ConfigDict(extra="allow")
    action: PaperFate
    after: str | None = Field(default=None, description="date or period, e.g. 2027-06-30")
    by: str | None = Field(default=None, description="who destroys, returns or keeps them")


class Signature(BaseModel):
    """Who signed or sealed the Transfervermerk; the signature itself is detached
    (``transfervermerk.sig`` / the API field ``transfervermerk_signature``)."""

    model_config = ConfigDict(extra="allow")
    method: str = Field(description="ed25519 (verified on import) or qualified-seal")
    key_id: str = Field(min_length=1, description="the key the tenant registered")
    signer: str | None = None


class DocumentEntry(BaseModel):
    """The Transfervermerk of one document: its anomalies and remarks."""

    model_config = ConfigDict(extra="allow")
    external_id: str = Field(min_length=1)
    anomalies: list[str] = Field(default_factory=list)
    remarks: str | None = None
    pages: int | None = Field(default=None, ge=1)


class Transfervermerk(BaseModel):
    """Transfervermerk (TR-RESISCAN, BSI TR-03138) of a delivery."""

    model_config = ConfigDict(extra="allow", title="Transfervermerk")
    delivery_id: str | None = Field(default=None, description="Lieferungs-ID")
    contractor: str | dict[str, Any] = Field(description="scanning organisation")
    responsible_person: str | None = Field(default=None, description="responsible person")
    scan_operator: str | None = None
    scanner_model: str | None = Field(default=None, description="scanning device")
    scanner_settings: str | dict[str, Any] | None = None
    resolution_dpi: int | None = Field(default=None, ge=50, le=2400)
    captured_at: str = Field(min_length=1, description="time or period of capture")
    protection_level: ProtectionLevel = Field(
        default=ProtectionLevel.normal, description="Schutzbedarf"
    )
    process_documentation: str | None = Field(
        default=None,
        description="reference to the process documentation (Verfahrensdokumentation) followed",
    )
    qc_result: str | dict[str, Any] = Field(description="result of the quality check")
    qc_sample_rate: float | None = Field(default=None, ge=0, le=1)
    conformity_statement: str | bool | None = Field(
        default=None,
        description="image and content match the original (bildliche und "
        "inhaltliche Übereinstimmung)",
    )
    paper_disposition: PaperDisposition | None = None
    signature: Signature | None = Field(
        default=None, description="required for protection level hoch and sehr hoch"
    )
    anomalies: list[str] | str | None = None
    documents: list[DocumentEntry] | None = None
    corrects: str | None = Field(default=None, description="id of the corrected delivery")

    @model_validator(mode="after")
    def _signed_when_high(self) -> Transfervermerk:
        if self.protection_level in SIGNED_LEVELS and self.signature is None:
            raise ValueError(
                f"signature: required for protection level {self.protection_level.value}"
            )
        if self.conformity_statement is False:
            raise ValueError("conformity_statement: the scan must match the original")
        return self


def json_schema() -> dict[str, Any]:
    """The published schema (``docs/transfervermerk.schema.json``)."""
    schema = Transfervermerk.model_json_schema()
    schema["allOf"] = [
        {
            "if": {
                "properties": {"protection_level": {"enum": list(SIGNED_LEVELS)}},
                "required": ["protection_level"],
            },
            "then": {"required": ["signature"], "properties": {"signature": {"type": "object"}}},
        }
    ]
    schema["properties"]["conformity_statement"]["not"] = {"const": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://akte.example/schemas/transfervermerk.schema.json",
        **schema,
        "x-akte-aliases": {
            "note": "akte also accepts these key spellings (case, spaces, "
            "-, _ and . ignored) and maps them to the names above",
            **{k: list(v) for k, v in FIELDS.items()},
        },
    }


def _canonical(raw: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        name = aliases.get(normalize_header(str(key)))
        if name is not None and name not in fields:
            fields[name] = value
    return fields


def _message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"])
        text = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {text}" if where else text)
    return "the Transfervermerk is not valid: " + "; ".join(parts)


def parse(data: bytes) -> dict[str, Any]:
    """The parsed protocol: the sender's keys (``original``) and the validated fields."""
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
    fields = _canonical(raw, _ALIASES)
    if isinstance(fields.get("documents"), list):
        fields["documents"] = [
            _canonical(d, _DOC_ALIASES) if isinstance(d, dict) else d for d in fields["documents"]
        ]
    missing = [n for n in REQUIRED if fields.get(n) in (None, "")]
    if missing:
        raise TransfervermerkError(
            "the Transfervermerk lacks " + ", ".join(missing) + " (TR-RESISCAN requires them)"
        )
    try:
        model = Transfervermerk.model_validate(fields)
    except ValidationError as exc:
        raise TransfervermerkError(_message(exc)) from None
    return {"fields": model.model_dump(mode="json", exclude_none=True), "original": raw}


def verify_signature(
    data: bytes, parsed: dict[str, Any], signature: bytes | None, keys: dict[str, str] | None
) -> str | None:
    """Check the detached signature; the key id that verified, or ``None`` if unsigned.

    Unsigned is fine for protection level ``normal`` only. A signature that is sent must
    verify, whatever the level."""
    fields = parsed["fields"]
    declared = fields.get("signature") or {}
    if signature is None or not signature.strip():
        if fields.get("protection_level", "normal") in SIGNED_LEVELS:
            raise TransfervermerkError(
                "signature: protection level {} needs the detached signature "
                "(transfervermerk.sig)".format(fields["protection_level"]),
                code="signature_required",
            )
        return None
    key_id = declared.get("key_id")
    if not key_id:
        raise TransfervermerkError(
            "signature.key_id: a signed Transfervermerk names its key", code="invalid_signature"
        )
    if declared.get("method", "ed25519").lower() != "ed25519":
        raise TransfervermerkError(
            "signature.method: only ed25519 signatures are verified", code="invalid_signature"
        )
    encoded = (keys or {}).get(key_id)
    if not encoded:
        raise TransfervermerkError(
            f"signature.key_id: the tenant registered no key {key_id}", code="unknown_signing_key"
        )
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw_sig = (
            signature
            if len(signature) == 64
            else base64.b64decode(signature.strip(), validate=True)
        )
        Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)).verify(raw_sig, data)
    except (InvalidSignature, ValueError, binascii.Error):
        raise TransfervermerkError(
            f"signature: does not verify with key {key_id} over the Transfervermerk's bytes",
            code="invalid_signature",
        ) from None
    return key_id


def document_entry(parsed: dict[str, Any], external_id: str | None) -> dict[str, Any] | None:
    """The per-document Transfervermerk of one external id, if the delivery gave one."""
    for entry in parsed.get("fields", {}).get("documents") or []:
        if external_id and entry.get("external_id") == external_id:
            return entry
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def binding_hash(transfervermerk_sha256: str, document_sha256: str) -> str:
    """The record that binds one document to the protocol it was scanned under."""
    return hashlib.sha256((transfervermerk_sha256 + document_sha256).encode("ascii")).hexdigest()
