"""One manifest entry per letter: everything a print street needs to print, envelope, frank
and (for a PZU) fill in the Zustellungsurkunde without opening the Akte.

The same entry feeds ``manifest.json`` and ``manifest.csv`` in the batch ZIP and the batch
detail of the provider API, so the three never disagree. The CSV is flat (one column per
field, cells neutralised with :func:`akte.core.csvsafe.csv_safe`: a recipient named
``=HYPERLINK(…)`` must not become a formula in the print street's spreadsheet).

Envelope and weight class follow from the sheet count: 80 g/m² A4 ≈ 5 g per sheet plus
≈ 5 g for the envelope; up to 9 sheets fit folded into a DL window envelope, more go flat
into C4 (Deutsche Post: Standardbrief ≤ 20 g, Kompaktbrief ≤ 50 g, Großbrief ≤ 500 g,
Maxibrief ≤ 1000 g).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from akte.core.csvsafe import csv_safe
from outbox import addresses
from outbox.models import Letter, Product

SHEET_GRAMS, ENVELOPE_GRAMS = 5, 5
WEIGHT_CLASSES = (
    (20, "standardbrief"),
    (50, "kompaktbrief"),
    (500, "grossbrief"),
    (1000, "maxibrief"),
)
DL_MAX_SHEETS = 9
#: What the Zusteller needs on the Zustellungsurkunde beyond the address.
PZU_NOTES = (
    "Zustellung nach § 3 VwZG mit Zustellungsurkunde (§§ 177–182 ZPO); "
    "Ersatzzustellung und Niederlegung zulässig; Aktenzeichen auf der Urkunde angeben."
)


@dataclass(frozen=True)
class Sender:
    """The issuing authority (the tenant) and its return address."""

    authority: str
    lines: list[str]
    return_address: str | None


def weight_class(sheets: int) -> tuple[int, str]:
    grams = sheets * SHEET_GRAMS + ENVELOPE_GRAMS
    for limit, name in WEIGHT_CLASSES:
        if grams <= limit:
            return grams, name
    return grams, "paket"


def envelope(sheets: int) -> str:
    return "DL" if sheets <= DL_MAX_SHEETS else "C4"


def structured_address(letter: Letter) -> dict[str, Any]:
    """The recipient as stored with the letter; for a letter stored before addresses were
    kept (migration 0810), read from its window lines as far as they can be read."""
    if letter.recipient_address:
        return letter.recipient_address
    return addresses.lenient(letter.recipient.splitlines())


def entry(position: int, file: str, letter: Letter, sender: Sender) -> dict[str, Any]:
    """The manifest entry of one letter (JSON-ready)."""
    grams, weight = weight_class(letter.sheet_count)
    pzu = None
    if letter.product == Product.pzu:
        pzu = {
            "aktenzeichen": letter.aktenzeichen,
            "issuing_authority": sender.authority,
            "subject": letter.subject,
            "notes": PZU_NOTES,
        }
    return {
        "position": position,
        "letter_id": str(letter.id),
        "file": file,
        "aktenzeichen": letter.aktenzeichen,
        "recipient": letter.recipient,
        "recipient_address": structured_address(letter),
        "sender": {
            "authority": sender.authority,
            "lines": sender.lines,
            "address": letter.sender_address,
        },
        "return_address": sender.return_address,
        "product": letter.product,
        "print_profile": letter.print_profile,
        "envelope": letter.envelope or envelope(letter.sheet_count),
        "color": letter.color,
        "duplex": letter.duplex,
        "pages": letter.page_count,
        "sheets": letter.sheet_count,
        "weight_grams": grams,
        "weight_class": weight,
        "pzu": pzu,
        "sha256": letter.sha256,
        "size": letter.size,
    }


CSV_FIELDS = [
    "position",
    "letter_id",
    "file",
    "aktenzeichen",
    "recipient",
    "recipient_name",
    "recipient_street",
    "recipient_postcode",
    "recipient_city",
    "recipient_country",
    "sender",
    "sender_street",
    "sender_postcode",
    "sender_city",
    "sender_country",
    "return_address",
    "product",
    "print_profile",
    "envelope",
    "color",
    "duplex",
    "pages",
    "sheets",
    "weight_grams",
    "weight_class",
    "pzu_aktenzeichen",
    "pzu_issuing_authority",
    "pzu_notes",
    "sha256",
    "size",
]


def csv_row(item: dict[str, Any]) -> dict[str, str]:
    """The flat, formula-safe CSV row of an :func:`entry`."""
    address, pzu = item["recipient_address"], item["pzu"] or {}
    flat = {
        **{key: item[key] for key in CSV_FIELDS if key in item},
        "recipient_name": " / ".join(address["name_lines"]),
        "recipient_street": address["street"],
        "recipient_postcode": address["postcode"],
        "recipient_city": address["city"],
        "recipient_country": address["country"],
        "sender": " / ".join([item["sender"]["authority"], *item["sender"]["lines"]]),
        **{
            f"sender_{key}": (item["sender"]["address"] or {}).get(key)
            for key in ("street", "postcode", "city", "country")
        },
        "pzu_aktenzeichen": pzu.get("aktenzeichen"),
        "pzu_issuing_authority": pzu.get("issuing_authority"),
        "pzu_notes": pzu.get("notes"),
    }
    return {key: csv_safe(flat.get(key)) for key in CSV_FIELDS}
