"""API shapes of deliveries, their progress, report rows and a document's provenance."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Progress(BaseModel):
    """Counts of the delivery's items. ``received`` = accepted + processed + failed."""

    total: int = 0
    pending: int = 0
    received: int = 0
    processing: int = 0
    processed: int = 0
    failed: int = 0
    rejected: int = 0


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_id: str
    status: str
    channel: str
    manifest_sha256: str
    manifest_format: str
    transfervermerk_sha256: str
    transfervermerk: dict[str, Any]
    item_count: int
    created_at: datetime
    committed_at: datetime | None
    finished_at: datetime | None
    progress: Progress | None = None
    #: The delivery this one corrects, and the deliveries correcting this one (ids).
    corrects: str | None = None
    corrected_by: list[str] = []


class ItemRead(BaseModel):
    """One row of the report: what was claimed, what was found, and the outcome."""

    model_config = ConfigDict(from_attributes=True)

    external_id: str | None
    row_no: int | None
    filename: str | None
    part: int | None
    aktenzeichen: str | None
    bg_nummer: str | None
    doc_type: str | None
    title: str | None
    document_date: date | None
    scan_date: date | None
    outcome: str
    reason_code: str | None
    reason: str | None
    sha256_claimed: str | None
    sha256_actual: str | None
    document_sha256: str | None
    pages_claimed: int | None
    pages_actual: int | None
    case_file_id: uuid.UUID | None
    document_id: uuid.UUID | None
    binding_sha256: str | None
    box: str | None = None
    first_page: int | None = None
    last_page: int | None = None
    page_range: str | None = None
    blank_pages: str | None = None
    blank_action: str | None = None
    box_sha256: str | None = None
    box_layout: str | None = None
    extra: dict[str, str] | None = None
    fix: str | None = None
    person_name: str | None = None
    case_subject: str | None = None
    #: Set when a correction delivery handled this row later: its delivery id, and the
    #: row's outcome there (otherwise ``final_*`` repeat this row's own outcome).
    corrected_by: str | None = None
    final_outcome: str | None = None
    final_reason_code: str | None = None


REPORT_COLUMNS = list(ItemRead.model_fields)


class Provenance(BaseModel):
    """Where a scanned document came from and the protocol it is bound to by hash."""

    document_id: uuid.UUID
    delivery_id: uuid.UUID
    delivery_external_id: str
    external_id: str | None
    filename: str | None
    part: int | None
    scan_date: date | None
    source_sha256: str | None
    #: The box file (scan product) the document was cut from, kept in blob storage.
    box_sha256: str | None = None
    page_range: str | None = None
    blank_pages: str | None = None
    document_sha256: str | None
    transfervermerk_sha256: str
    binding_sha256: str | None
    binding_formula: str = "sha256(transfervermerk_sha256 || document_sha256)"
    transfervermerk: dict[str, Any]
    #: pages of this document (its part of the box file when the box was split)
    pages: int | None = None
    contractor: str | None = None
    captured_at: str | None = None
    protection_level: str | None = None
    #: the registered key whose signature of the Transfervermerk was verified on import
    signed_by_key: str | None = None
    delivery_anomalies: list[str] = []
    #: from the Transfervermerk's entry for this document (``documents``)
    document_anomalies: list[str] = []
    document_remarks: str | None = None
    #: the physical box (Karton) the sheets are in
    box: str | None = None


class PlanRow(BaseModel):
    """What the import would do with one manifest row (pre-check)."""

    row_no: int | None
    external_id: str | None
    filename: str | None
    aktenzeichen: str | None
    bg_nummer: str | None
    #: existing_case_file, new_case_file, already_imported or rejected
    outcome: str
    case_file_id: uuid.UUID | None
    case_file_aktenzeichen: str | None
    #: the Akte's org unit, or the one a new Akte would be created in
    org_unit_code: str | None
    reason_code: str | None
    reason: str | None


class TransfervermerkCheck(BaseModel):
    valid: bool
    error: str | None


class PreCheck(BaseModel):
    """A dry run of a manifest: counts over all rows, one page of rows, and the tenant
    options that decided them. Nothing was stored."""

    total: int
    counts: dict[str, int]
    reasons: dict[str, int]
    options: dict[str, Any]
    transfervermerk: TransfervermerkCheck | None
    page: int
    size: int
    rows: list[PlanRow]


class UploadStatus(BaseModel):
    """How far a resumable upload got (also in the ``Upload-Offset`` header)."""

    offset: int
    length: int | None
    complete: bool
    outcome: str
    reason_code: str | None = None
