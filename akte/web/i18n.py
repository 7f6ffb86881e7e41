"""The citizen portal's texts: German (default), English, Arabic, Farsi, Tigrinya and Urdu.

The German texts below are the source: each has a key (what templates and code ask for)
and is the ``msgid`` of the gettext catalogues in ``akte/locale/<lang>/LC_MESSAGES/akte.po``
with the key as ``msgctxt`` (:mod:`akte.web.catalogues`). Translations live only there, where
a translator's tool (Poedit, Weblate, Lokalize) opens them: add a German text here, run
``make i18n-extract i18n-update`` and translate the new entries in the ``.po`` files.

The language is chosen on the page (``?lang=``) and remembered in a cookie. A text a
catalogue lacks (or whose German changed since it was translated) shows in German, so a new
text never shows a raw key. A translation still written into these dicts for another
language (older branches did) is used where the catalogue has none. Arabic, Farsi and Urdu
are written right to left: templates set ``dir`` from :data:`RTL`.
"""

from __future__ import annotations

from akte.web import catalogues

DEFAULT = "de"
#: The cookie remembering the citizen's language.
COOKIE = "akte_lang"
RTL = frozenset({"ar", "fa", "ur"})
#: Code → the language's own name, in the order offered on the page.
LANGUAGES = {
    "de": "Deutsch",
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "ti": "ትግርኛ",
    "ur": "اردو",
}

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Unterlagen an das Jobcenter senden",
        "intro": "Geben Sie den Upload-Code aus Ihrem Schreiben ein.",
        "code_label": "Upload-Code",
        "code_hint": "16 Zeichen, z. B. ABCD-EFGH-JKMN-PQRS",
        "continue": "Weiter",
        "language": "Sprache",
        "choose_files": "Dokumente auswählen oder fotografieren",
        "limits": "Erlaubt: PDF, JPEG, PNG. Bis zu {max_files} Dateien, je höchstens {max_mb} MB.",
        "upload": "Hochladen",
        "uploading": "Wird hochgeladen …",
        "done": "Fertig",
        "failed": "Fehlgeschlagen",
        "case_ref": "Aktenzeichen",
        "receipt_title": "Eingangsbestätigung",
        "receipt_intro": "Wir haben diese Dateien erhalten:",
        "received_at": "Eingegangen am",
        "file_name": "Dateiname",
        "size": "Größe",
        "checksum": "Prüfsumme (SHA-256)",
        "download_receipt": "Eingangsbestätigung als PDF herunterladen",
        "more": "Weitere Dateien hochladen",
        "finish": "Beenden",
        "code_refused": "Dieser Code ist ungültig, abgelaufen oder widerrufen. "
        "Bitte prüfen Sie Ihre Eingabe.",
        "rate_limited": "Zu viele Fehlversuche. Bitte versuchen Sie es in 15 Minuten erneut.",
        "no_files": "Bitte wählen Sie mindestens eine Datei aus.",
        "bad_bundle": "Die Angabe, welche Fotos zusammengehören, ist ungültig. Bitte wählen Sie die Fotos noch einmal aus.",
        "too_many_files": "Bitte höchstens {max_files} Dateien auf einmal.",
        "file_refused": "Nicht angenommen: {name} – {reason}",
        "bad_type": "nur PDF, JPEG oder PNG",
        "too_large": "Datei ist zu groß",
        "empty": "Datei ist leer",
        "skip": "Zum Inhalt springen",
        "privacy": "Ihre Dateien gehen nur an Ihr Jobcenter, in Ihre Akte.",
        "valid_until": "Code gültig bis",
        "session_ended": "Vielen Dank. Sie können das Fenster jetzt schließen.",
        "selected": "Ausgewählte Dateien",
        "receipts": "Ihre Eingangsbestätigungen",
        "files_count": "{n} Datei(en)",
        "code_used_up": "Mit diesem Code wurden schon zu viele Dateien gesendet. Bitte wenden Sie sich an Ihr Jobcenter.",
    },
}


for _code in LANGUAGES:
    TEXTS.setdefault(_code, {})


#: Texts of the upload journey's states, the session banner, the status page and the page
#: titles. Kept apart from the first set so translators see what was added together.
MORE: dict[str, dict[str, str]] = {
    "de": {
        "receipt_number": "Belegnummer",
        "receipt_checked": "Die Dateien werden geprüft und Ihrer Akte zugeordnet. Diese Bestätigung belegt den Eingang, nicht die Vollständigkeit der Unterlagen.",
        "accepted": "Angenommen",
        "not_sent": "Nicht gesendet",
        "not_confirmed": "Nicht bestätigt – bitte erneut senden",
        "session_expired": "Ihre Sitzung ist abgelaufen. Ihre Dateien wurden NICHT gesendet. "
        "Geben Sie den Code aus Ihrem Schreiben erneut ein und tippen Sie dann noch einmal auf "
        "„Hochladen“. Die ausgewählten Dateien bleiben in der Liste.",
        "network_error": "Keine Verbindung zum Jobcenter. Ihre Dateien wurden NICHT gesendet. "
        "Prüfen Sie Ihre Internetverbindung und tippen Sie noch einmal auf „Hochladen“.",
        "unexpected_answer": "Wir konnten nicht bestätigen, dass Ihre Dateien angekommen sind. "
        "Tippen Sie noch einmal auf „Hochladen“. Unter „Stand Ihrer Unterlagen“ sehen Sie, "
        "was angekommen ist.",
        "csrf_failed": "Diese Seite ist veraltet. Bitte laden Sie die Seite neu und versuchen "
        "Sie es noch einmal.",
        "session_ends": "Ihre Sitzung endet um {time} Uhr.",
        "session_warning": "Ihre Sitzung endet bald (um {time} Uhr). Verlängern Sie sie, "
        "bevor Sie weitere Dateien senden.",
        "session_over": "Ihre Sitzung ist beendet. Geben Sie den Code erneut ein, um "
        "weiterzumachen.",
        "extend": "Sitzung verlängern",
        "extended": "Sitzung verlängert bis {time} Uhr.",
        "reenter_code": "Code erneut eingeben",
        "code_ok": "Code angenommen. Tippen Sie jetzt noch einmal auf „Hochladen“.",
        "advice_bad_type": "Speichern Sie das Dokument als PDF oder fotografieren Sie es "
        "(JPEG, PNG) und wählen Sie es neu aus.",
        "advice_too_large": "Fotografieren Sie die Seiten einzeln oder teilen Sie die PDF "
        "in kleinere Dateien.",
        "advice_empty": "Die Datei ist leer. Wählen Sie die richtige Datei noch einmal aus.",
        "no_file_valid": "Keine der ausgewählten Dateien kann gesendet werden. Den Grund "
        "sehen Sie bei jeder Datei.",
        "remove": "Entfernen",
        "add_more": "Sie können weitere Dateien hinzufügen: Die Liste wird länger.",
        "receipt_refused": "Diese Dateien wurden NICHT angenommen:",
        "reason": "Grund",
        "what_to_do": "Was Sie tun können",
        "status_title": "Stand Ihrer Unterlagen",
        "status_link": "Stand Ihrer Unterlagen ansehen",
        "status_empty": "Mit diesem Code wurde noch nichts gesendet.",
        "state": "Stand",
        "status_received": "Eingegangen – wird geprüft",
        "status_filed": "In Ihre Akte aufgenommen",
        "status_returned": "Zurückgegeben",
        "status_returned_next": "Bitte senden Sie dieses Dokument noch einmal, gut lesbar "
        "als PDF oder Foto.",
        "title_start": "Code eingeben",
        "title_files": "Dateien senden",
        "title_bye": "Sitzung beendet",
        "error": "Fehler",
        "error_heading": "Das hat nicht geklappt",
        "not_found": "Diese Seite gibt es nicht (mehr).",
        "back_start": "Zur Startseite",
        "unavailable": "Der Dienst ist gerade nicht erreichbar. Ihre Dateien wurden nicht gespeichert. Bitte versuchen Sie es später noch einmal.",
    },
}
for _lang, _texts in MORE.items():
    TEXTS.setdefault(_lang, {}).update(_texts)


#: Photos of one paper sent as one document (akte/documents/compose.py): the choice on the
#: upload page and moving a page up the list; the optional address for the notice that the
#: papers were processed (akte/web/notify.py).
PAGES: dict[str, dict[str, str]] = {
    "de": {
        "page_impressum": "Impressum",
        "page_privacy": "Datenschutz",
        "page_accessibility": "Barrierefreiheit",
        "help_contact": "Hilfe und Kontakt",
        "not_configured": "Ihr Jobcenter hat diesen Text noch nicht hinterlegt.",
        "after_code": "Die Angaben Ihres Jobcenters sehen Sie hier, nachdem Sie Ihren Code eingegeben haben.",
        "schlichtung": "Schlichtungsverfahren: Wenn Sie auf Ihre Rückmeldung zur Barrierefreiheit keine zufriedenstellende Antwort erhalten, können Sie sich an die Schlichtungsstelle wenden:",
        "session_ended_nojs": "Ihre Sitzung war abgelaufen. Ihre Dateien wurden NICHT gesendet. Geben Sie den Code aus Ihrem Schreiben erneut ein und wählen Sie die Dateien dann noch einmal aus.",
        "notify_label": "E-Mail-Adresse für eine Nachricht, wenn Ihre Unterlagen bearbeitet sind (freiwillig)",
        "notify_hint": "Wir schreiben nur, dass die Unterlagen bearbeitet sind, mit einem Link zur Übersicht. Die Adresse wird danach gelöscht.",
        "bad_email": "Die E-Mail-Adresse ist ungültig. Bitte prüfen Sie sie oder lassen Sie das Feld leer.",
        "pages_label": "Seiten dieses Dokuments (Ihre Fotos, unverändert aufbewahrt)",
        "together_label": "Die Fotos sind Seiten eines Schriftstücks: als ein Dokument senden, "
        "Seiten in der Reihenfolge der Liste",
        "move_up": "Nach oben",
        "read_aloud": "Vorlesen",
        "stop_reading": "Vorlesen beenden",
    },
}
for _lang, _texts in PAGES.items():
    TEXTS.setdefault(_lang, {}).update(_texts)


def pick(requested: str | None, cookie: str | None = None) -> str:
    for candidate in (requested, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT


def text(lang: str, key: str) -> str:
    """The text of ``key`` in ``lang``: the catalogue's translation of its German source,
    else one still kept in Python, else the German, else the key itself."""
    german = TEXTS[DEFAULT].get(key)
    if german is None:
        return TEXTS.get(lang, {}).get(key) or key
    if lang != DEFAULT and catalogues.has(lang, key, german):
        return catalogues.pgettext(lang, key, german)
    return TEXTS.get(lang, {}).get(key) or german


def translator(lang: str):  # type: ignore[no-untyped-def]
    """``t("key", name=value)``: the text in ``lang``, German when missing."""

    def t(key: str, **values: object) -> str:
        found = text(lang, key)
        return found.format(**values) if values else found

    return t


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, name: str) -> str:
        return ""


def spoken_text(lang: str, key: str) -> str:
    """The text of ``key`` as read aloud: the portal's limits filled in, any other value
    (a file name, a time) left out, since only the portal's own words are spoken."""
    from akte.uploads import intake

    values = _Blank(max_files=intake.MAX_FILES, max_mb=intake.MAX_FILE_MB)
    return text(lang, key).format_map(values)


#: Texts of the page frame that the read-aloud button skips (it reads the page's content).
FRAME = frozenset({"skip", "language", "read_aloud", "stop_reading"})


class Spoken:
    """The page's translator that remembers which texts the page shows from ``begin()``
    (the start of ``<main>``) on, in order: what the read-aloud button reads."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._t = translator(lang)
        self._keys: list[tuple[str, str]] = []
        self._start = 0

    def t(self, key: str, **values: object) -> str:
        shown = self._t(key, **values)
        self._keys.append((key, shown))
        return shown

    def begin(self) -> str:
        self._start = len(self._keys)
        return ""

    def items(self) -> list[dict[str, str]]:
        seen: set[str] = set()
        out = []
        for key, shown in self._keys[self._start :]:
            if key in FRAME or key in seen or key not in TEXTS[DEFAULT]:
                continue
            seen.add(key)
            out.append({"key": key, "text": shown})
        return out


def table(lang: str) -> dict[str, str]:
    """Every portal text in ``lang`` (German where untranslated): what the page's script
    shows."""
    return {key: text(lang, key) for key in TEXTS[DEFAULT]}


#: The Veränderungsmitteilung (akte/uploads/forms.py): labels, hints and the reasons a
#: value is refused, shown at its field.
FORMS: dict[str, dict[str, str]] = {
    "de": {
        "form_title": "Veränderungsmitteilung",
        "form_link": "Eine Veränderung mitteilen (Umzug, Einkommen, Haushalt, Bankverbindung)",
        "form_intro": "Teilen Sie Ihrem Jobcenter mit, was sich geändert hat. Wählen Sie aus, "
        "was zutrifft, und füllen Sie nur diese Teile aus.",
        "form_what": "Was hat sich geändert?",
        "form_address": "Adresse (Umzug)",
        "form_income": "Einkommen",
        "form_household": "Haushalt (wer bei Ihnen wohnt)",
        "form_bank": "Bankverbindung",
        "form_street": "Straße und Hausnummer",
        "form_postcode": "Postleitzahl",
        "form_city": "Ort",
        "form_moved_on": "Datum des Umzugs",
        "form_income_what": "Welches Einkommen (z. B. neue Arbeit, Name des Arbeitgebers)",
        "form_income_amount": "Betrag brutto im Monat, in Euro",
        "form_since": "Seit wann",
        "form_household_what": "Was hat sich geändert (wer ist ein- oder ausgezogen, Geburt)",
        "form_iban": "IBAN",
        "form_holder": "Name der Kontoinhaberin oder des Kontoinhabers",
        "form_remarks": "Weitere Hinweise (freiwillig)",
        "form_send": "Mitteilung senden",
        "form_errors": "Bitte korrigieren Sie die markierten Angaben.",
        "err_choose": "Bitte wählen Sie mindestens eine Veränderung aus.",
        "err_required": "Bitte füllen Sie dieses Feld aus.",
        "err_too_long": "Dieser Text ist zu lang.",
        "err_postcode": "Bitte geben Sie eine Postleitzahl mit 5 Ziffern ein.",
        "err_date": "Bitte geben Sie ein gültiges Datum ein, z. B. 31.01.2026.",
        "err_amount": "Bitte geben Sie einen Betrag in Euro ein, z. B. 1250,00.",
        "err_iban": "Diese IBAN ist nicht gültig. Bitte prüfen Sie sie.",
    },
}
for _lang, _texts in FORMS.items():
    TEXTS.setdefault(_lang, {}).update(_texts)


# keep last: every language's table from the catalogues (for the pages' scripts and tests)
for _code in LANGUAGES:
    if _code != DEFAULT:
        TEXTS[_code].update(
            {
                key: catalogues.pgettext(_code, key, german)
                for key, german in TEXTS[DEFAULT].items()
                if catalogues.has(_code, key, german)
            }
        )
