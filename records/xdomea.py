"""xdomea messages akte writes, validated against the official schemas before they leave.

Versions 3.0.0 (mandatory since 2024) and 3.1.0 are supported; the schemas in
``records/xsd/`` are the unchanged official files (see its README). Every message is
validated with lxml against its version's message schema; an invalid message is never
written (:class:`InvalidMessage`), and incoming messages are checked the same way
(:func:`validate`).

The Abgabe (0401) carries one Akte with its documents; each document's current version's
original is the Primärdokument, named ``<uuid>_<original name>`` as the schema's
``stringDateinameType`` requires. The package is a ZIP named
``<ProzessID>_Abgabe.Abgabe.0401.zip`` holding ``<ProzessID>_Abgabe.Abgabe.0401.xml`` and the
primary documents.

Which xdomea field is filled from what (0401):

=====================================  =============================================
Kopf/ProzessID                         the export's id
Kopf/Nachrichtentyp                    0401 (code list ``nachrichtentyp``, 2.0)
Kopf/Erstellungszeitpunkt              time the message is built (UTC)
Kopf/Absender/Institution/Name         the tenant's name (Mandant)
Kopf/Empfaenger/Institution/Name       the export's recipient
Akte/Identifikation/ID                 the Akte's id
Akte/AllgemeineMetadaten/Kennzeichen   Aktenzeichen
Akte/AllgemeineMetadaten/Betreff       Betreff (else the person's name, else AZ)
Akte/Typ                               ``Leistungsakte SGB II``
Akte/ZdA, ZdADatum                     Akte closed / its closing date
Dokument/Identifikation/ID             the document's id
Dokument/AllgemeineMetadaten/Betreff   title
Dokument/Posteingangsdatum             received (date)
Dokument/DatumDesSchreibens            document date, where known
Dokument/Typ                           Dokumentart
Version/Nummer                         current version number
Format/Name                            file format code (see :data:`FORMAT_CODES`)
Primaerdokument/Dateiname              ``<version id>_<filename>``
Primaerdokument/DateinameOriginal      the filename as received
Primaerdokument/DatumUhrzeit           when the version was stored
=====================================  =============================================

The file format codes come from the external code list ``dateiformat`` (not part of the
schema, so validation does not check them): :data:`FORMAT_CODES` is the one place to keep
them in line with the list the receiving side uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).parent / "xsd"
VERSIONS = ("3.0.0", "3.1.0")
DEFAULT_VERSION = "3.0.0"
MESSAGE_SCHEMAS = {
    "0401": "xdomea-Nachrichten-AbgabeDurchfuehren.xsd",
    "0402": "xdomea-Nachrichten-AbgabeDurchfuehren.xsd",
    "0501": "xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
    "0502": "xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
    "0503": "xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
    "0504": "xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
    "0505": "xdomea-Nachrichten-AussonderungDurchfuehren.xsd",
}
#: MIME type → (code, name in the code list ``dateiformat``, format version).
FORMAT_CODES = {
    "application/pdf": ("018", "PDF", "1.7"),
    "image/tiff": ("024", "TIFF", "6.0"),
    "image/jpeg": ("013", "JPEG", "1.02"),
    "image/png": ("019", "PNG", "1.2"),
}
FORMAT_LIST_VERSION = "2.0"


class InvalidMessage(ValueError):
    """A message does not validate against its xdomea schema (first errors in the text)."""


def namespace(version: str) -> str:
    return f"urn:xoev-de:xdomea:schema:{version}"


@cache
def schema(version: str, code: str) -> etree.XMLSchema:
    if version not in VERSIONS:
        raise InvalidMessage(f"xdomea {version} is not supported ({', '.join(VERSIONS)})")
    path = SCHEMA_DIR / version / MESSAGE_SCHEMAS[code]
    return etree.XMLSchema(etree.parse(str(path)))


def _parse(data: bytes) -> etree._Element:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidMessage(f"not well-formed XML: {exc}") from None


def validate(data: bytes, version: str, code: str) -> etree._Element:
    """Parse and validate a message; :class:`InvalidMessage` with the first errors."""
    return _check(_parse(data), version, code)


def _check(root: etree._Element, version: str, code: str) -> etree._Element:
    checker = schema(version, code)
    if not checker.validate(root):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(checker.error_log)[:5])
        raise InvalidMessage(f"not a valid xdomea {version} message {code}: {errors}")
    return root


@dataclass(frozen=True)
class DocumentEntry:
    id: str
    title: str
    doc_type: str | None
    received_at: datetime
    document_date: date | None
    version_no: int
    version_id: str
    filename: str
    mime_type: str
    stored_at: datetime

    @property
    def primary_name(self) -> str:
        """``<uuid>_<name>``: unique in the package and what the schema's pattern wants."""
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in self.filename)
        return f"{self.version_id}_{safe or 'dokument'}"


@dataclass(frozen=True)
class AkteEntry:
    id: str
    aktenzeichen: str
    betreff: str | None
    closed_at: datetime | None


def message_name(process_id: str, code: str = "0401") -> str:
    names = {"0401": "Abgabe.Abgabe.0401", "0503": "Aussonderung.Aussonderung.0503"}
    return f"{process_id}_{names[code]}"


def abgabe_0401(*, version: str, process_id: str, created_at: datetime, sender: str,
                recipient: str, akte: AkteEntry, documents: list[DocumentEntry]) -> bytes:
    """The Abgabe message (0401) of one Akte, validated (:class:`InvalidMessage`)."""
    ns = namespace(version)

    def el(parent: etree._Element, name: str, text: str | None = None,
           **attrs: str) -> etree._Element:
        node = etree.SubElement(parent, f"{{{ns}}}{name}", **attrs)
        if text is not None:
            node.text = text
        return node

    def code(parent: etree._Element, name: str, value: str, list_uri: str,
             list_version: str) -> None:
        node = el(parent, name, listURI=list_uri, listVersionID=list_version)
        etree.SubElement(node, "code").text = value

    root = etree.Element(f"{{{ns}}}Abgabe.Abgabe.0401", nsmap={"xdomea": ns})
    head = el(root, "Kopf")
    el(head, "ProzessID", process_id)
    code(head, "Nachrichtentyp", "0401", "urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0")
    el(head, "Erstellungszeitpunkt", created_at.replace(microsecond=0).isoformat())
    el(el(el(head, "Absender"), "Institution"), "Name", sender)
    el(el(el(head, "Empfaenger"), "Institution"), "Name", recipient)
    el(head, "Importbestaetigung", "1")  # fixed by the schema
    el(head, "Empfangsbestaetigung", "1")
    akte_node = el(el(root, "Schriftgutobjekt"), "Akte")
    el(el(akte_node, "Identifikation"), "ID", akte.id)
    meta = el(akte_node, "AllgemeineMetadaten")
    el(meta, "Betreff", akte.betreff or akte.aktenzeichen)
    el(meta, "Kennzeichen", akte.aktenzeichen)
    el(akte_node, "Typ", "Leistungsakte SGB II")
    content = el(akte_node, "Akteninhalt")
    for position, doc in enumerate(documents, start=1):
        node = el(content, "Dokument")
        ident = el(node, "Identifikation")
        el(ident, "ID", doc.id)
        el(ident, "NummerImUebergeordnetenContainer", str(position))
        el(el(node, "AllgemeineMetadaten"), "Betreff", doc.title)
        el(node, "Posteingangsdatum", doc.received_at.date().isoformat())
        if doc.document_date:
            el(node, "DatumDesSchreibens", doc.document_date.isoformat())
        if doc.doc_type:
            el(node, "Typ", doc.doc_type)
        version_node = el(node, "Version")
        el(version_node, "Nummer", str(doc.version_no))
        fmt = el(version_node, "Format")
        fcode, _fname, fversion = FORMAT_CODES.get(doc.mime_type, ("Sonstiges", "", "unbekannt"))
        code(fmt, "Name", fcode, "urn:xoev-de:xdomea:codeliste:dateiformat", FORMAT_LIST_VERSION)
        if doc.mime_type not in FORMAT_CODES:
            el(fmt, "SonstigerName", doc.mime_type)
        el(fmt, "Version", fversion)
        primary = el(fmt, "Primaerdokument")
        el(primary, "Dateiname", doc.primary_name)
        el(primary, "DateinameOriginal", doc.filename)
        el(primary, "DatumUhrzeit", doc.stored_at.replace(microsecond=0).isoformat())
    if akte.closed_at is not None:
        el(akte_node, "ZdA", "true")
        el(akte_node, "ZdADatum", akte.closed_at.date().isoformat())
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data, version, "0401")
    return data


@dataclass(frozen=True)
class ObjectVerdict:
    """The receiver's verdict on one handed-over Schriftgutobjekt (Akte or Dokument)."""

    id: str
    imported: bool
    messages: list[str]


@dataclass(frozen=True)
class ImportConfirmation:
    version: str
    process_id: str
    created_at: str
    objects: list[ObjectVerdict]


#: Root element of each message akte reads, by code.
ROOTS = {"0402": "Abgabe.ImportBestaetigen.0402"}


def read_import_confirmation(data: bytes) -> ImportConfirmation:
    """Read an Abgabe's import confirmation (0402) in either supported version, validated
    against that version's schema (:class:`InvalidMessage` with the reason otherwise).

    The version is taken from the root's namespace; the root must be the 0402 element (the
    schema file also declares 0401 and 0403, which would validate against it too)."""
    root = _parse(data)
    qname = etree.QName(root)
    version = (qname.namespace or "").removeprefix("urn:xoev-de:xdomea:schema:")
    if version not in VERSIONS:
        raise InvalidMessage(f"not an xdomea message of a supported version "
                             f"({', '.join(VERSIONS)}): namespace {qname.namespace!r}")
    if qname.localname != ROOTS["0402"]:
        raise InvalidMessage(f"expected an import confirmation {ROOTS['0402']}, "
                             f"got {qname.localname}")
    _check(root, version, "0402")
    ns = {"x": namespace(version)}
    objects = [
        ObjectVerdict(
            id=node.findtext("x:IDSGO", namespaces=ns).strip().lower(),
            imported=node.findtext("x:Erfolgreich", namespaces=ns).strip() in ("true", "1"),
            messages=[m.text or "" for m in node.findall("x:Fehlermeldung", namespaces=ns)])
        for node in root.findall("x:AbgegebenesObjekt", namespaces=ns)]
    return ImportConfirmation(
        version=version, process_id=root.findtext("x:Kopf/x:ProzessID", namespaces=ns).strip(),
        created_at=root.findtext("x:Kopf/x:Erstellungszeitpunkt", namespaces=ns).strip(),
        objects=objects)
