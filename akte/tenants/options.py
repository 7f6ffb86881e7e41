"""Tenant options: the switches that decide what an import does, readable and settable.

An import's outcome depends on them (whether unknown Akten are created, in which org unit,
which barcodes separate documents, how an Aktenzeichen is written), so the importer may
read them and the tenant admin may change them (API ``/api/v1/tenant-options``, CLI ``akte
admin tenant-options``, web page *Importe*). Every known option is declared once in
:data:`KNOWN` with its type and meaning; unknown names are refused (a typo would otherwise
be silently ignored), ``None`` removes an option.

Changing ``aktenzeichen_pattern`` recomputes the canonical key of every Akte of the tenant;
if the new pattern would give two Akten the same key the change is refused (409) with the
colliding Aktenzeichen, and nothing changes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files.identifiers import PatternError, canonical_key, check_pattern, tenant_pattern
from akte.case_files.models import CaseFile
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.tenants.models import OrgUnit, Tenant
from akte.users.models import Role

XDOMEA_VERSIONS = ("3.0.0", "3.1.0")
READ_ROLES = (Role.tenant_admin, Role.importer, Role.system_admin)
WRITE_ROLES = (Role.tenant_admin, Role.system_admin)


@dataclass(frozen=True)
class Option:
    type: str  # "bool", "int", "str", "list[str]" or "dict[str,str]"
    description: str


#: the allowed range of each whole-number option
INT_RANGES = {"session_idle_minutes": (5, 1440), "session_max_hours": (1, 720)}
#: a synonym group: at least two non-blank words separated by commas (also the schema's pattern)
SYNONYM_GROUP = re.compile(r"[^,]*\S[^,]*(,[^,]*\S[^,]*)+")
SECOND_FACTOR = ("admins", "all")

KNOWN: dict[str, Option] = {
    "import_creates_case_files": Option(
        "bool", "Lieferungen legen unbekannte Akten an (sonst: Zeile unknown_case_file)"
    ),
    "import_org_unit": Option(
        "str",
        "Code der Organisationseinheit für beim Import angelegte Akten "
        "(nötig bei mehr als einer Organisationseinheit)",
    ),
    "import_separator_codes": Option(
        "list[str]", "Barcode-Werte, die ein Trennblatt kennzeichnen (Standard: PATCHT)"
    ),
    "import_signing_keys": Option(
        "dict[str,str]",
        "Schlüssel-ID → öffentlicher Ed25519-Schlüssel (Base64), mit dem "
        "Dienstleister den Transfervermerk signieren",
    ),
    "ocr_languages": Option(
        "list[str]",
        "Sprachen der Texterkennung als Tesseract-Codes, z. B. deu, eng, tur "
        "(Standard: deu, eng; jede Sprache kostet Zeit je Seite)",
    ),
    "local_login": Option(
        "bool",
        "Anmeldung mit lokalem Passwort (Standard: true); false: nur noch "
        "Mandanten-Admins als Notzugang, alle anderen über das Verzeichnis (SSO)",
    ),
    "second_factor": Option(
        "str",
        "Zweiter Faktor (TOTP) bei der Anmeldung mit lokalem Passwort: admins "
        "(Mandanten-Admins) oder all (alle Personen); leer: freiwillig",
    ),
    "directory_second_factor": Option(
        "str",
        "Zweiter Faktor bei der Anmeldung über einen OpenID-Connect-Dienst: admins "
        "(wer Mandanten-Admin wird) oder all (alle); geprüft an acr/amr des ID-Tokens "
        "nach den Einstellungen des Anmeldedienstes; leer: nicht verlangt",
    ),
    "session_idle_minutes": Option(
        "int",
        "Abmeldung nach so vielen Minuten ohne Nutzung (Browser-Sitzungen; 5 bis "
        "1440); leer: nur die allgemeine Laufzeit",
    ),
    "session_max_hours": Option(
        "int",
        "Höchstdauer einer Anmeldung in Stunden, danach neu anmelden (Browser-"
        "Sitzungen und API-Token; 1 bis 720); leer: die allgemeine Laufzeit",
    ),
    "xdomea_version": Option(
        "str",
        "xdomea-Version der Nachrichten an andere Behörden und das Archiv "
        "(3.0.0 oder 3.1.0; Standard 3.0.0)",
    ),
    "search_synonyms": Option(
        "list[str]",
        "Eigene Synonyme der Volltextsuche, je Eintrag eine Gruppe mit Komma, "
        'z. B. "WoGG, Wohngeld" (zusätzlich zur eingebauten Liste)',
    ),
    "aktenzeichen_pattern": Option(
        "str",
        "Schreibweise des Aktenzeichens, z. B. AZ-9999-999999: Ziffernfelder werden "
        "mit führenden Nullen verglichen",
    ),
    # the citizen portal's pages (akte/web/portal_pages.py): plain text, blank lines part
    "portal_impressum": Option(
        "str", "Impressum des Upload-Portals (Text; Absätze durch Leerzeilen)"
    ),
    "portal_privacy": Option("str", "Datenschutzerklärung des Upload-Portals (Text)"),
    "portal_accessibility": Option(
        "str",
        "Erklärung zur Barrierefreiheit (BITV 2.0) des Upload-Portals: Stand, "
        "bekannte Mängel, Feedback-Kontakt; die Schlichtungsstelle nennt die Seite selbst",
    ),
    "portal_forms": Option(
        "list[str]",
        "Formulare im Upload-Portal, z. B. veraenderungsmitteilung (Umzug, Einkommen, "
        "Haushalt, Bankverbindung); leer: keine",
    ),
    "portal_contact": Option(
        "str",
        "Hilfe-Kontakt für Bürgerinnen und Bürger, z. B. Telefon "
        "und Zeiten (auf den Informationsseiten des Portals)",
    ),
}
#: The portal's forms a tenant can switch on (``akte.uploads.forms.FORMS``; named here, as
#: the options must not import a feature).
PORTAL_FORMS = ("veraenderungsmitteilung",)
#: Longest text of a ``portal_*`` option (a Datenschutzerklärung is long; a novel is not).
PORTAL_TEXT_MAX = 20_000


def read(session: Session, principal: Principal | None, tenant: Tenant) -> dict[str, Any]:
    """Every known option with its value (``None`` when unset)."""
    if principal is not None:
        principal.require_role(*READ_ROLES)
        principal.require_tenant(tenant.id)
    options = tenant.options or {}
    return {name: options.get(name) for name in KNOWN}


def _coerce(session: Session, tenant: Tenant, name: str, value: Any, from_text: bool) -> Any:
    option = KNOWN[name]
    if value is None:
        return None
    if option.type == "bool":
        if (
            from_text
            and isinstance(value, str)
            and value.lower() in ("true", "false", "ja", "nein", "1", "0")
        ):
            return value.lower() in ("true", "ja", "1")
        if not isinstance(value, bool):
            raise Unprocessable(f"{name} is true or false", code="invalid_option")
        return value
    if option.type == "int":
        if from_text and isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        low, high = INT_RANGES[name]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Unprocessable(
                f"{name} is a whole number from {low} to {high}", code="invalid_option"
            )
        return value
    if option.type == "dict[str,str]":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and _is_public_key(v) for k, v in value.items()
        ):
            raise Unprocessable(
                f"{name} maps key ids to base64 Ed25519 public keys (32 bytes)",
                code="invalid_option",
            )
        return value
    if option.type == "list[str]":
        if from_text and isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise Unprocessable(f"{name} is a list of texts", code="invalid_option")
        if name == "ocr_languages":
            return _ocr_languages(value)
        if name == "portal_forms" and not set(value) <= set(PORTAL_FORMS):
            raise Unprocessable(
                f"portal_forms: known forms are {', '.join(PORTAL_FORMS)}", code="invalid_option"
            )
        if name == "search_synonyms" and not all(
            len(v) <= 500 and SYNONYM_GROUP.fullmatch(v) for v in value
        ):
            raise Unprocessable(
                "search_synonyms: each entry is a group of at least two "
                'words separated by commas, e.g. "WoGG, Wohngeld"',
                code="invalid_option",
            )
        return value
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(f"{name} is a text", code="invalid_option")
    if name.startswith("portal_") and len(value) > PORTAL_TEXT_MAX:  # as the schema says
        raise Unprocessable(f"{name}: at most {PORTAL_TEXT_MAX} characters", code="invalid_option")
    value = value.strip()
    if (
        name == "import_org_unit"
        and session.scalar(
            select(OrgUnit.id).where(OrgUnit.tenant_id == tenant.id, OrgUnit.code == value)
        )
        is None
    ):
        raise NotFound(f"the tenant has no org unit with code {value}", code="unknown_org_unit")
    if name in ("second_factor", "directory_second_factor") and value not in SECOND_FACTOR:
        raise Unprocessable(f"{name} is admins or all", code="invalid_option")
    if name == "xdomea_version" and value not in XDOMEA_VERSIONS:
        raise Unprocessable("xdomea_version is 3.0.0 or 3.1.0", code="invalid_option")
    if name == "aktenzeichen_pattern":
        try:
            return check_pattern(value)
        except PatternError as exc:
            raise Unprocessable(f"aktenzeichen_pattern: {exc}", code="invalid_option") from None
    return value


def _ocr_languages(value: list[str]) -> list[str]:
    """Tesseract codes installed here; another worker missing one says so per document."""
    from ingest.ocr import installed_languages

    have = installed_languages()
    codes = [v.strip().lower() for v in value]
    unknown = [c for c in codes if c not in have]
    if not codes or unknown:
        raise Unprocessable(
            f"ocr_languages: {', '.join(unknown) or 'empty'} not installed; installed: "
            f"{', '.join(sorted(have))}",
            code="invalid_option",
        )
    return list(dict.fromkeys(codes))


def _is_public_key(value: object) -> bool:
    import base64
    import binascii

    try:
        return isinstance(value, str) and len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def update(
    session: Session,
    principal: Principal | None,
    tenant: Tenant,
    changes: dict[str, Any],
    *,
    from_text: bool = False,
) -> dict[str, Any]:
    """Set (or with ``None`` remove) options; 422 for an unknown name or a bad value, 404
    for an ``import_org_unit`` the tenant does not have.

    ``from_text``: the values were typed (web form, command line), so ``"ja"`` is a switch
    and ``"A, B"`` a list. The API takes JSON as its schema says: a switch is a boolean."""
    if principal is not None:
        principal.require_role(*WRITE_ROLES)
        principal.require_tenant(tenant.id)
    unknown = sorted(set(changes) - set(KNOWN))
    if unknown:
        raise Unprocessable(
            f"unknown tenant option(s): {', '.join(unknown)}; known: {', '.join(KNOWN)}",
            code="unknown_option",
        )
    options = dict(tenant.options or {})
    for name, value in changes.items():
        value = _coerce(session, tenant, name, value, from_text)
        if value is None:
            options.pop(name, None)
        else:
            options[name] = value
    if options.get("aktenzeichen_pattern") != (tenant.options or {}).get("aktenzeichen_pattern"):
        _rekey(session, tenant.id, options.get("aktenzeichen_pattern"))
    tenant.options = options
    session.flush()
    audit.record(
        session,
        principal,
        "tenant.options",
        object_type="tenant",
        object_id=tenant.id,
        tenant_id=tenant.id,
        detail={"changes": changes},
    )
    return read(session, None, tenant)


def _rekey(session: Session, tenant_id: uuid.UUID, pattern: str | None) -> None:
    """New keys for every Akte of the tenant under ``pattern``; 409 before any collides."""
    rows = session.execute(
        select(CaseFile.id, CaseFile.aktenzeichen, CaseFile.aktenzeichen_key)
        .where(CaseFile.tenant_id == tenant_id)
        .order_by(CaseFile.created_at, CaseFile.id)
    ).all()
    seen: dict[str, str] = {}
    new_keys: dict[uuid.UUID, str | None] = {}
    for case_id, aktenzeichen, old_key in rows:
        if old_key is None:  # an old collision stays key-less until it is resolved
            continue
        key = canonical_key(aktenzeichen, pattern)
        if key in seen:
            raise Conflict(
                f"with this pattern {seen[key]} and {aktenzeichen} would be the same "
                "Aktenzeichen; rename one of them first",
                code="aktenzeichen_conflict",
            )
        seen[key] = aktenzeichen
        if key != old_key:
            new_keys[case_id] = key
    # Two steps, so a swap of keys between Akten never trips the unique index midway.
    for case_id in new_keys:
        session.get(CaseFile, case_id).aktenzeichen_key = None  # type: ignore[union-attr]
    session.flush()
    for case_id, key in new_keys.items():
        session.get(CaseFile, case_id).aktenzeichen_key = key  # type: ignore[union-attr]
    session.flush()


def conflicts(session: Session, tenant_id: uuid.UUID | None = None) -> list[tuple[str, str, str]]:
    """``(tenant slug, key-less Aktenzeichen, Aktenzeichen holding its key)`` per collision
    the key migration kept, for the operator to merge or rename."""
    stmt = (
        select(CaseFile.tenant_id, CaseFile.aktenzeichen, Tenant.slug, Tenant.options)
        .join(Tenant, Tenant.id == CaseFile.tenant_id)
        .where(CaseFile.aktenzeichen_key.is_(None))
    )
    if tenant_id is not None:
        stmt = stmt.where(CaseFile.tenant_id == tenant_id)
    found = []
    for tid, aktenzeichen, slug, options in session.execute(stmt):
        key = canonical_key(aktenzeichen, tenant_pattern(options))
        holder = session.scalar(
            select(CaseFile.aktenzeichen).where(
                CaseFile.tenant_id == tid, CaseFile.aktenzeichen_key == key
            )
        )
        if holder is not None:
            found.append((slug, aktenzeichen, holder))
    return found
