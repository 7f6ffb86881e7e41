"""The Eingangsbestätigung as a PDF the citizen keeps, in the citizen's language.

Rendered from HTML by WeasyPrint: Pango lays the text out and HarfBuzz shapes it, so
Arabic, Farsi and Urdu letters join and run right to left and Tigrinya (Ethiopic) prints,
in file names as in the texts. Fonts come from Debian's packages (Noto Naskh Arabic, Noto
Sans Ethiopic, DejaVu Sans for Latin and digits; fontconfig falls back per character).
The PDF is tagged (PDF/UA-1) with ``/Lang`` set to the page's language. The case
reference, dates and SHA-256 values stay left to right, so what proves which file it was
reads the same in every language.
"""

from __future__ import annotations

from akte.case_files.models import CaseFile
from akte.uploads.models import UploadReceipt
from akte.web import i18n
from akte.web.templating import env

#: The first font that covers the script; DejaVu Sans for Latin, digits and the rest.
FONTS = {
    "ar": '"Noto Naskh Arabic", "DejaVu Sans"',
    "fa": '"Noto Naskh Arabic", "DejaVu Sans"',
    "ur": '"Noto Naskh Arabic", "DejaVu Sans"',
    "ti": '"Noto Sans Ethiopic", "Abyssinica SIL", "DejaVu Sans"',
}
DEFAULT_FONTS = '"DejaVu Sans", "Noto Naskh Arabic", "Noto Sans Ethiopic"'


def render(
    receipt: UploadReceipt, case_file: CaseFile, tenant_name: str, lang: str = i18n.DEFAULT
) -> bytes:
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT
    html = env.get_template("receipt_pdf.html").render(
        lang=lang,
        dir="rtl" if lang in i18n.RTL else "ltr",
        fonts=FONTS.get(lang, DEFAULT_FONTS),
        t=i18n.translator(lang),
        receipt=receipt,
        case_file=case_file,
        tenant_name=tenant_name,
    )
    # imported here: WeasyPrint (with Pango and fontTools) costs every process
    # that builds the app about 0.8 s, and only these PDFs need it
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
