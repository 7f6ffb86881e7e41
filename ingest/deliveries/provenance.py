"""Where an imported scan came from, for the API (``/documents/{id}/provenance``) and the
caseworker's document page: the delivery, the box (the file it was cut from) and its part
and pages, the Transfervermerk with the document's own entry and anomalies, and the hash
binding them. The caller has already checked that the document may be read."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ingest.deliveries import repository, transfervermerk
from ingest.deliveries.schemas import Provenance

PLAIN_BINDING = "sha256(transfervermerk_sha256 || document_sha256)"
BOX_BINDING = "sha256(transfervermerk_sha256 || box_sha256 || document_sha256)"


def of_document(session: Session, document_id: uuid.UUID) -> Provenance | None:
    item = repository.item_of_document(session, document_id)
    delivery = repository.get(session, item.delivery_id) if item else None
    if item is None or delivery is None:
        return None
    tv = delivery.transfervermerk or {}
    fields = tv.get("fields", {})
    entry = transfervermerk.document_entry(tv, item.external_id)
    anomalies = fields.get("anomalies") or []
    return Provenance(
        document_id=document_id,
        delivery_id=delivery.id,
        delivery_external_id=delivery.external_id,
        external_id=item.external_id,
        filename=item.filename,
        part=item.part,
        pages=item.pages_actual,
        scan_date=item.scan_date,
        source_sha256=item.sha256_actual,
        document_sha256=item.document_sha256,
        transfervermerk_sha256=delivery.transfervermerk_sha256,
        binding_sha256=item.binding_sha256,
        transfervermerk=tv,
        contractor=_text(fields.get("contractor")),
        captured_at=fields.get("captured_at"),
        protection_level=fields.get("protection_level"),
        signed_by_key=(tv.get("signature_verified") or {}).get("key_id"),
        delivery_anomalies=[anomalies] if isinstance(anomalies, str) else list(anomalies),
        document_anomalies=list((entry or {}).get("anomalies") or []),
        document_remarks=(entry or {}).get("remarks"),
        box=item.box,
        box_sha256=item.box_sha256,
        page_range=item.page_range,
        blank_pages=item.blank_pages,
        binding_formula=BOX_BINDING if item.box_sha256 else PLAIN_BINDING,
    )


def _text(value: object) -> str | None:
    if isinstance(value, dict):
        return str(value.get("name") or value)
    return None if value is None else str(value)
