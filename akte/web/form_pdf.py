"""The Veränderungsmitteilung as the caseworker reads it: a PDF in German.

Whatever language the citizen filled the form in, the labels are German (the catalogue's
source texts); the answers stand as typed, each marked with the citizen's language so
WeasyPrint shapes Arabic, Farsi, Urdu or Ethiopic text (the receipt's fonts) and a screen
reader reads it in that language. The form's language is named at the top. Tagged
PDF/UA-1 with ``/Lang`` de, like the receipt.
"""

from __future__ import annotations

from datetime import datetime

from akte.uploads import forms
from akte.web import i18n
from akte.web.receipt_pdf import DEFAULT_FONTS
from akte.web.templating import env

#: The form's field -> the text key of its label.
LABELS = {
    "address": "form_address",
    "income": "form_income",
    "household": "form_household",
    "bank": "form_bank",
    "address.street": "form_street",
    "address.postcode": "form_postcode",
    "address.city": "form_city",
    "address.moved_on": "form_moved_on",
    "income.what": "form_income_what",
    "income.amount_eur": "form_income_amount",
    "income.since": "form_since",
    "household.what": "form_household_what",
    "household.since": "form_since",
    "bank.iban": "form_iban",
    "bank.holder": "form_holder",
    "remarks": "form_remarks",
}
#: The language's German name, for the caseworker.
GERMAN_NAMES = {
    "de": "Deutsch",
    "en": "Englisch",
    "ar": "Arabisch",
    "fa": "Farsi",
    "ti": "Tigrinya",
    "ur": "Urdu",
}


def render(answers: dict, *, lang: str, aktenzeichen: str, tenant_name: str, at: datetime) -> bytes:
    german = i18n.translator(i18n.DEFAULT)
    sections = [
        (
            german(LABELS[change]),
            [
                (german(LABELS[f"{change}.{name}"]), answers.get(change, {}).get(name, ""))
                for name, _, _ in forms.FIELDS[change]
            ],
        )
        for change in answers.get("changes", [])
    ]
    html = env.get_template("form_pdf.html").render(
        lang=lang,
        fonts=DEFAULT_FONTS,
        title=forms.TITLE,
        aktenzeichen=aktenzeichen,
        tenant_name=tenant_name,
        at=at,
        language=f"{GERMAN_NAMES.get(lang, lang)} ({i18n.LANGUAGES.get(lang, lang)})",
        sections=sections,
        remarks=answers.get("remarks"),
        remarks_label=german("form_remarks"),
    )
    # imported here: WeasyPrint (with Pango and fontTools) costs every process
    # that builds the app about 0.8 s, and only these PDFs need it
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
