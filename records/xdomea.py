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

import io
import zipfile
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


#: The one size limit of a message akte receives (0402, 0502, 0504–0507), for the XML and
#: for the ZIP that carries it, on every way in: API, web page, CLI and the inbox folder.
#: 4 MiB holds an 0502 with a verdict for tens of thousands of Akten.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


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


def unpack(data: bytes, limit: int = MAX_MESSAGE_BYTES) -> bytes:
    """The message itself: ``data`` when it is the XML, or the one ``*.xml`` inside when it
    is the ZIP xdomea transmits (:class:`InvalidMessage` when there is not exactly one,
    or either is larger than ``limit`` bytes)."""
    if len(data) > limit:
        raise InvalidMessage(f"the message is larger than {limit} bytes")
    if data[:2] != b"PK":
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = [n for n in package.namelist() if n.lower().endswith(".xml")]
            if len(names) != 1:
                raise InvalidMessage(
                    f"the ZIP holds {len(names)} XML files, expected the one message"
                )
            if package.getinfo(names[0]).file_size > limit:
                raise InvalidMessage(f"the message in the ZIP is larger than {limit} bytes")
            return package.read(names[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise InvalidMessage("not a readable ZIP file") from None


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
    names = {
        "0401": "Abgabe.Abgabe.0401",
        "0501": "Aussonderung.Anbieteverzeichnis.0501",
        "0503": "Aussonderung.Aussonderung.0503",
    }
    return f"{process_id}_{names[code]}"


class _Writer:
    """Elements of one message in one version's namespace (code-list values as xdomea
    wants them: ``<Name listURI=… listVersionID=…><code>…</code></Name>``)."""

    def __init__(self, version: str) -> None:
        self.ns = namespace(version)

    def el(
        self, parent: etree._Element, name: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        node = etree.SubElement(parent, f"{{{self.ns}}}{name}", attrib=attrs)
        if text is not None:
            node.text = text
        return node

    def code(
        self, parent: etree._Element, name: str, value: str, list_uri: str, list_version: str
    ) -> None:
        node = self.el(parent, name, listURI=list_uri, listVersionID=list_version)
        etree.SubElement(node, "code").text = value

    def root(self, element: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{element}", nsmap={"xdomea": self.ns})

    def head(
        self,
        root: etree._Element,
        *,
        process_id: str,
        code: str,
        created_at: datetime,
        sender: str,
        recipient: str,
    ) -> etree._Element:
        head = self.el(root, "Kopf")
        self.el(head, "ProzessID", process_id)
        self.code(
            head, "Nachrichtentyp", code, "urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0"
        )
        self.el(head, "Erstellungszeitpunkt", created_at.replace(microsecond=0).isoformat())
        self.el(self.el(self.el(head, "Absender"), "Institution"), "Name", sender)
        self.el(self.el(self.el(head, "Empfaenger"), "Institution"), "Name", recipient)
        return head

    def akte(
        self,
        parent: etree._Element,
        akte: AkteEntry,
        documents: list[DocumentEntry],
        *,
        files: bool,
    ) -> None:
        """A ``Schriftgutobjekt/Akte`` with its documents: with their versions and primary
        files (``files``: 0401, 0503), or their metadata only (the offer, 0501)."""
        el = self.el
        akte_node = el(el(parent, "Schriftgutobjekt"), "Akte")
        el(el(akte_node, "Identifikation"), "ID", akte.id)
        meta = el(akte_node, "AllgemeineMetadaten")
        el(meta, "Betreff", akte.betreff or akte.aktenzeichen)
        el(meta, "Kennzeichen", akte.aktenzeichen)
        el(akte_node, "Typ", "Leistungsakte SGB II")
        content = el(akte_node, "Akteninhalt") if documents else None
        for position, doc in enumerate(documents, start=1):
            assert content is not None
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
            if not files:
                continue
            version_node = el(node, "Version")
            el(version_node, "Nummer", str(doc.version_no))
            fmt = el(version_node, "Format")
            fcode, _fname, fversion = FORMAT_CODES.get(
                doc.mime_type, ("Sonstiges", "", "unbekannt")
            )
            self.code(
                fmt, "Name", fcode, "urn:xoev-de:xdomea:codeliste:dateiformat", FORMAT_LIST_VERSION
            )
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


def _finish(root: etree._Element, version: str, code: str) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data, version, code)
    return data


def abgabe_0401(
    *,
    version: str,
    process_id: str,
    created_at: datetime,
    sender: str,
    recipient: str,
    akte: AkteEntry,
    documents: list[DocumentEntry],
) -> bytes:
    """The Abgabe message (0401) of one Akte, validated (:class:`InvalidMessage`)."""
    w = _Writer(version)
    root = w.root("Abgabe.Abgabe.0401")
    head = w.head(
        root,
        process_id=process_id,
        code="0401",
        created_at=created_at,
        sender=sender,
        recipient=recipient,
    )
    w.el(head, "Importbestaetigung", "1")  # fixed by the schema
    w.el(head, "Empfangsbestaetigung", "1")
    w.akte(root, akte, documents, files=True)
    return _finish(root, version, "0401")


def anbieteverzeichnis_0501(
    *,
    version: str,
    process_id: str,
    created_at: datetime,
    sender: str,
    recipient: str,
    akten: list[tuple[AkteEntry, list[DocumentEntry]]],
) -> bytes:
    """The offer (0501): the Akten whose retention has run out, with their documents'
    metadata, for the archive to evaluate. Asks for a receipt (0504)."""
    w = _Writer(version)
    root = w.root("Aussonderung.Anbieteverzeichnis.0501")
    head = w.head(
        root,
        process_id=process_id,
        code="0501",
        created_at=created_at,
        sender=sender,
        recipient=recipient,
    )
    w.el(head, "Empfangsbestaetigung", "1")
    for akte, documents in akten:
        w.akte(root, akte, documents, files=False)
    return _finish(root, version, "0501")


def aussonderung_0503(
    *,
    version: str,
    process_id: str,
    created_at: datetime,
    sender: str,
    recipient: str,
    akten: list[tuple[AkteEntry, list[DocumentEntry]]],
) -> bytes:
    """The Aussonderung (0503): the Akten the archive evaluated as worth archiving, with
    their primary files. Asks for the import confirmation (0506) with the archive's
    references and for a receipt (0507)."""
    w = _Writer(version)
    root = w.root("Aussonderung.Aussonderung.0503")
    head = w.head(
        root,
        process_id=process_id,
        code="0503",
        created_at=created_at,
        sender=sender,
        recipient=recipient,
    )
    w.el(head, "Importbestaetigung", "1")
    w.el(head, "RueckmeldungArchivkennung", "1")
    w.el(head, "Empfangsbestaetigung", "1")
    for akte, documents in akten:
        w.akte(root, akte, documents, files=True)
    return _finish(root, version, "0503")


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
ROOTS = {
    "0402": "Abgabe.ImportBestaetigen.0402",
    "0502": "Aussonderung.Bewertungsverzeichnis.0502",
    "0504": "Aussonderung.AnbietungEmpfangBestaetigen.0504",
    "0506": "Aussonderung.AussonderungImportBestaetigen.0506",
    "0507": "Aussonderung.AussonderungEmpfangBestaetigen.0507",
}
MESSAGE_SCHEMAS.update({"0506": MESSAGE_SCHEMAS["0501"], "0507": MESSAGE_SCHEMAS["0501"]})


@dataclass(frozen=True)
class Incoming:
    """A message read and validated: its version, code, process and root element."""

    version: str
    code: str
    process_id: str
    created_at: str
    root: etree._Element

    def find(self, path: str) -> list[etree._Element]:
        return self.root.findall(path, namespaces={"x": namespace(self.version)})

    def text(self, node: etree._Element, path: str) -> str:
        found = node.findtext(path, namespaces={"x": namespace(self.version)})
        return (found or "").strip()


def read_message(data: bytes, codes: tuple[str, ...]) -> Incoming:
    """Read one of the messages ``codes`` in either supported version, validated against
    that version's schema (:class:`InvalidMessage` with the reason otherwise).

    The version is taken from the root's namespace, the code from the root element (a
    schema file declares several messages, any of which would validate against it)."""
    root = _parse(data)
    qname = etree.QName(root)
    version = (qname.namespace or "").removeprefix("urn:xoev-de:xdomea:schema:")
    if version not in VERSIONS:
        raise InvalidMessage(
            f"not an xdomea message of a supported version "
            f"({', '.join(VERSIONS)}): namespace {qname.namespace!r}"
        )
    code = next((c for c in codes if ROOTS[c] == qname.localname), None)
    if code is None:
        raise InvalidMessage(
            f"expected {' or '.join(ROOTS[c] for c in codes)}, got {qname.localname}"
        )
    _check(root, version, code)
    ns = {"x": namespace(version)}
    return Incoming(
        version,
        code,
        (root.findtext("x:Kopf/x:ProzessID", namespaces=ns) or "").strip(),
        (root.findtext("x:Kopf/x:Erstellungszeitpunkt", namespaces=ns) or "").strip(),
        root,
    )


def read_import_confirmation(data: bytes) -> ImportConfirmation:
    """An Abgabe's import confirmation (0402): one verdict per handed-over object."""
    message = read_message(data, ("0402",))
    objects = [
        ObjectVerdict(
            id=message.text(node, "x:IDSGO").lower(),
            imported=message.text(node, "x:Erfolgreich") in ("true", "1"),
            messages=[
                m.text or ""
                for m in node.findall(
                    "x:Fehlermeldung", namespaces={"x": namespace(message.version)}
                )
            ],
        )
        for node in message.find("x:AbgegebenesObjekt")
    ]
    return ImportConfirmation(
        version=message.version,
        process_id=message.process_id,
        created_at=message.created_at,
        objects=objects,
    )


@dataclass(frozen=True)
class Evaluation:
    """The archive's verdict on one offered object (0502): its Aussonderungsart."""

    id: str
    decision: str  # A (archive), V (destroy), B (to be looked at) or a configured value


def evaluations(message: Incoming) -> list[Evaluation]:
    found = []
    for node in message.find("x:BewertetesObjekt"):
        decision = message.text(node, "x:Aussonderungsart/x:Aussonderungsart/code") or message.text(
            node, "x:Aussonderungsart/x:AussonderungsartKonfigurierbar"
        )
        found.append(Evaluation(message.text(node, "x:ID").lower(), decision))
    return found


@dataclass(frozen=True)
class ArchiveVerdict:
    """The archive's verdict on one transferred object (0506)."""

    id: str
    imported: bool
    messages: list[str]
    archive_ref: str | None


def archive_verdicts(message: Incoming) -> list[ArchiveVerdict]:
    return [
        ArchiveVerdict(
            id=message.text(node, "x:IDSGO").lower(),
            imported=message.text(node, "x:Erfolgreich") in ("true", "1"),
            messages=[t for t in [message.text(node, "x:Fehlermeldung")] if t],
            archive_ref=message.text(node, "x:Archivkennung") or None,
        )
        for node in message.find("x:AusgesondertesSGO")
    ]
