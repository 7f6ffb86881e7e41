"""The staff pages' German texts for errors that services word in English for the API.

The JSON API keeps its English ``detail`` (clients match on the ``error`` code). A page
shows a person the German text instead: first an exact entry of :data:`EXACT`, then
"<thing> not found" with the German noun, then, for any other detail that reads as
English, the German text of its error code (:data:`BY_CODE`) or status. Details already
written in German (the casework services, the tenant lists) pass unchanged. The tables are
plain dictionaries keyed by the English source; their German values are the msgids of
the gettext catalogue (``akte/locale``, extracted by ``make i18n-extract`` through
``babel.cfg``), so every text returned here passes through :func:`_` and a translated staff
catalogue takes effect without changing this module. A German text the catalogue lacks is
shown as it is.
"""

from __future__ import annotations

import re

from akte.core.errors import AkteError
from akte.web import catalogues

#: The staff pages' language: German, the catalogues' source language.
STAFF_LANGUAGE = catalogues.SOURCE_LANGUAGE


def _(message: str) -> str:
    """``message`` (German) from the staff catalogue; itself where it has no entry."""
    if STAFF_LANGUAGE == catalogues.SOURCE_LANGUAGE:
        return message
    return catalogues.translation(STAFF_LANGUAGE).gettext(message)


EXACT = {
    "the form's security token is missing or wrong; reload the page": "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es "
    "noch einmal.",
    "the current password is wrong": "Das bisherige Passwort stimmt nicht.",
}

NOUNS = {
    "Akte": "Akte",
    "document": "Dokument",
    "version": "Version",
    "user": "Person",
    "org unit": "Organisationseinheit",
    "tenant": "Mandant",
    "letter": "Brief",
    "upload code": "Upload-Code",
    "receipt": "Eingangsbestätigung",
    "rule": "Regel",
    "hold": "Sperre",
    "grant": "Freigabe",
    "export": "Export",
    "delivery": "Lieferung",
    "redaction": "Schwärzung",
    "membership": "Mitgliedschaft",
    "session": "Sitzung",
    "job": "Auftrag",
    "batch": "Sendung",
    "identity provider": "Anmeldedienst",
}

BY_CODE = {
    "forbidden": "Das ist mit Ihrer Rolle nicht erlaubt.",
    "lent_access": "Diese Akte ist Ihnen nur geliehen (Freigabe oder Vertretung). Das dürfen "
    "nur ständige Mitglieder ihrer Organisationseinheit.",
    "not_found": "Nicht gefunden. Vielleicht wurde es gelöscht, verschoben, oder Sie haben "
    "keinen Zugriff.",
    "not_authenticated": "Bitte melden Sie sich an.",
    "conflict": "Das ist im jetzigen Zustand nicht möglich.",
    "payload_too_large": "Die Datei ist zu groß.",
    "unsupported_media_type": "Dieser Dateityp wird nicht unterstützt. Erlaubt sind PDF, "
    "JPEG, PNG und TIFF.",
    "too_many_requests": "Zu viele Versuche. Bitte warten Sie einige Minuten.",
    "storage_unavailable": "Der Dokumentenspeicher ist gerade nicht erreichbar. Bitte "
    "versuchen Sie es in einigen Minuten noch einmal.",
    "storage_full": "Der Dokumentenspeicher ist voll. Bitte informieren Sie den Betrieb.",
    "service_unavailable": "Vorübergehend nicht verfügbar. Bitte versuchen Sie es später "
    "noch einmal.",
}
# sign-in: the person must learn what to do (start again, ask the administration, wait)
BY_CODE.update(
    {
        "sso_refused": "Der Anmeldedienst hat die Anmeldung abgelehnt. Bitte melden Sie sich "
        "noch einmal an.",
        "sso_state_invalid": "Diese Anmeldung ist schon abgeschlossen oder unbekannt. Bitte "
        "beginnen Sie die Anmeldung neu.",
        "no_mapped_group": "Keine Ihrer Verzeichnisgruppen gibt Zugang zu akte. Bitte wenden Sie "
        "sich an Ihre Administration.",
        "account_conflict": "Ihr Benutzername gehört schon zu einem anderen akte-Konto. Bitte "
        "wenden Sie sich an Ihre Administration.",
        "identity_provider_unavailable": "Der Anmeldedienst ist gerade nicht erreichbar. Bitte "
        "versuchen Sie es in einigen Minuten noch einmal.",
        "identity_provider_misconfigured": "Der Anmeldedienst ist falsch eingerichtet. Bitte "
        "informieren Sie Ihre Administration.",
        # a stored file failed its checksum: nothing a person can retry; the operators
        # restore it (the English detail names the file's hash for them)
        "blob_damaged": "Die gespeicherte Datei ist beschädigt: ihre Bytes passen nicht mehr "
        "zu ihrer Prüfsumme. Der Betrieb muss sie aus der Sicherung wiederherstellen.",
    }
)
# administration pages (akte.web.routes_admin)
BY_CODE.update(
    {
        "duplicate_username": "Dieser Benutzername ist schon vergeben.",
        "duplicate_org_unit": "Eine Organisationseinheit mit diesem Kürzel gibt es schon.",
        "duplicate_tenant": "Einen Mandanten mit diesem Kurznamen gibt es schon.",
        "own_account": "Ihr eigenes Konto können Sie nicht deaktivieren.",
        "not_a_person_account": "Dienstkonten haben kein Passwort, sondern API-Schlüssel.",
        "not_a_service_account": "API-Schlüssel gibt es nur für Dienstkonten (Import, Druck).",
        "account_inactive": "Das Konto ist deaktiviert.",
        "api_key_not_found": "Diesen API-Schlüssel gibt es bei diesem Konto nicht.",
    }
)
# Zuständigkeitswechsel (akte.web.routes_transfers)
BY_CODE.update(
    {
        "unknown_tenant": "Einen Mandanten mit diesem Kurznamen gibt es nicht.",
        "same_tenant": "Die Akte gehört schon zu diesem Mandanten.",
        "legal_hold": "Die Akte oder eines ihrer Dokumente ist gesperrt (Löschstopp oder dem "
        "Archiv angeboten); sie kann erst nach Aufheben der Sperre wechseln.",
        "letters_pending": "Ein Brief dieser Akte ist noch nicht beim Druckdienstleister; die "
        "Akte kann danach wechseln.",
        "aktenzeichen_taken": "Das neue Jobcenter hat schon eine Akte mit diesem Aktenzeichen.",
        "transfer_open": "Für diese Akte ist schon ein Wechsel beantragt.",
        "transfer_not_open": "Über diesen Wechsel ist schon entschieden.",
        "not_receiver": "Annehmen kann nur das neue Jobcenter.",
        "wrong_side": "Das kann nur die andere Seite dieses Wechsels.",
        "unknown_org_unit": "Diese Organisationseinheit gehört nicht zu Ihrem Mandanten.",
        "case_file_gone": "Die Akte gehört nicht mehr dem abgebenden Jobcenter.",
    }
)
#: Codes whose English detail is little more than a name ("tenant jc-x exists"), which
#: :func:`reads_english` cannot recognise: always the German text.
NAMED_ONLY = frozenset(
    {"duplicate_username", "duplicate_org_unit", "duplicate_tenant", "unknown_tenant"}
)
#: Codes whose English detail names what an administrator must fix (a host, an issuer):
#: the page keeps it after the German text, marked as the technical reason.
WITH_DETAIL = frozenset(
    {"identity_provider_unavailable", "identity_provider_misconfigured", "blob_damaged"}
)
BY_STATUS = {400: "Die Anfrage ist so nicht möglich.", 422: "Bitte prüfen Sie Ihre Angaben."}

_ENGLISH = re.compile(
    r"\b(the|not|may|must|is|are|no|this|an|of|to|yet|only|with|has|"
    r"cannot|already|missing|invalid)\b",
    re.I,
)
_GERMAN = re.compile(
    r"[äöüßÄÖÜ]|\b(nicht|der|die|das|ist|bitte|ein|eine|und|kein|keine|"
    r"schon|nur|noch)\b",
    re.I,
)
_NOT_FOUND = re.compile(r"(.+) not found")


def reads_english(text: str) -> bool:
    return bool(_ENGLISH.search(text)) and not _GERMAN.search(text)


def german(exc: AkteError) -> str:
    """What a staff page says for ``exc``."""
    detail = exc.detail
    if detail in EXACT:
        return _(EXACT[detail])
    found = _NOT_FOUND.fullmatch(detail)
    if found and found.group(1) in NOUNS:
        return _("{thing} nicht gefunden.").format(thing=_(NOUNS[found.group(1)]))
    if exc.code in NAMED_ONLY:
        return _(BY_CODE[exc.code])
    if not reads_english(detail):
        return detail
    if exc.code in WITH_DETAIL:
        return _("{text} (Technische Angabe: {detail})").format(
            text=_(BY_CODE[exc.code]), detail=detail
        )
    return _(
        BY_CODE.get(exc.code)
        or BY_STATUS.get(exc.status_code)
        or BY_CODE.get(
            {403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status_code, ""),
            "Die Anfrage konnte nicht bearbeitet werden.",
        )
    )


def form_reason(error: dict) -> str:
    """Why a form value was refused, in German, from one of Pydantic's errors (whose
    ``msg`` is English: "String should have at most 300 characters")."""
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    if kind in ("string_too_long", "too_long"):
        if kind == "string_too_long":
            return _("höchstens {n} Zeichen").format(n=limits.get("max_length"))
        return _("höchstens {n} Einträge").format(n=limits.get("max_length"))
    if kind in ("string_too_short", "too_short", "missing"):
        return _("darf nicht leer sein")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("bitte ein gültiges Datum angeben (TT.MM.JJJJ)")
    if kind.startswith("uuid"):
        return _("unbekannte Auswahl")
    if kind == "value_error":
        message = str(limits.get("error") or error.get("msg", ""))
        if not reads_english(message):
            return message.removeprefix("Value error, ")
    return _("ungültige Angabe")
