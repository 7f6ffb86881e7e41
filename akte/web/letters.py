"""Letters from the Akte page, through the ``outbox`` feature when it is installed.

The web layer only collects the form and shows status; rendering, validation, filing and
queueing are ``outbox.service``'s. Without the outbox package the letter pages are hidden.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.features import _optional

#: The Rechtsfolgenbelehrung of a Mitwirkung: benefits may be refused for missing
#: cooperation only after the person was told so in writing and given a reasonable
#: deadline (§ 66 Abs. 3 SGB I); ``{frist}`` is filled with the letter's deadline.
RECHTSFOLGENBELEHRUNG = (
    "Rechtsfolgenbelehrung: Wenn Sie die Unterlagen nicht bis zum {frist} einreichen und "
    "dadurch die Aufklärung des Sachverhalts erheblich erschwert wird, können die "
    "Leistungen ganz oder teilweise versagt oder entzogen werden, bis Sie die Mitwirkung "
    "nachholen (§§ 60, 66 Abs. 1 und 3 SGB I). Reichen Sie die Unterlagen später ein, kann "
    "die Leistung nachträglich ganz oder teilweise erbracht werden (§ 67 SGB I). Können Sie "
    "eine Unterlage nicht beschaffen oder die Frist nicht einhalten, teilen Sie uns das "
    "bitte vor Ablauf der Frist mit."
)
#: Text templates a caseworker starts from; ``{frist}`` stands for the deadline (the form
#: refuses to queue such a letter without one); ``{name}`` is the Akte's person.
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "mitwirkung": (
        "Aufforderung zur Mitwirkung",
        "Aufforderung zur Mitwirkung (§§ 60 ff. SGB I)",
        "Sehr geehrte Damen und Herren,\n\nfür die Bearbeitung Ihres Antrags benötigen wir "
        "noch folgende Unterlagen:\n\n- \n\nBitte reichen Sie diese bis zum {frist} ein "
        "(§ 60 Abs. 1 SGB I). Sie können sie auch über unser Upload-Portal senden: Adresse, "
        "Upload-Code und QR-Code stehen am Ende dieses Schreibens.\n\n"
        + RECHTSFOLGENBELEHRUNG
        + "\n\nMit freundlichen Grüßen\nIhr Jobcenter",
    ),
    "eingang": (
        "Eingangsbestätigung",
        "Eingangsbestätigung Ihrer Unterlagen",
        "Sehr geehrte Damen und Herren,\n\nwir bestätigen den Eingang Ihrer Unterlagen. Sie "
        "werden geprüft; wir melden uns, falls etwas fehlt.\n\nMit freundlichen Grüßen\n"
        "Ihr Jobcenter",
    ),
    "frei": (
        "Freies Schreiben",
        "",
        "Sehr geehrte Damen und Herren,\n\n\n\nMit freundlichen Grüßen",
    ),
}
STATUS_LABELS = {
    "queued": "im Postausgang",
    "batched": "im Versandstapel",
    "handed_over": "an Druckdienstleister übergeben",
    "printed": "gedruckt",
    "posted": "eingeliefert",
    "delivered": "zugestellt",
    "returned": "zurückgekommen",
    "rejected": "vom Druckdienstleister abgelehnt",
    "cancelled": "storniert",
}
PRODUCT_LABELS = {
    "standardbrief": "Standardbrief",
    "einschreiben_einwurf": "Einschreiben Einwurf",
    "einschreiben": "Einschreiben",
    "einschreiben_rueckschein": "Einschreiben mit Rückschein",
    "pzu": "Postzustellungsurkunde (PZU)",
}


def service() -> Any | None:
    return _optional("outbox.service")


def available() -> bool:
    return service() is not None


def for_case_file(session: Session, principal: Principal, case_file_id: uuid.UUID) -> list:
    module = service()
    return module.list_letters(session, principal, case_file_id) if module else []


def template_input(subject: str, body: str, recipient: str) -> Any:
    module = service()
    assert module is not None
    lines = [line.strip() for line in recipient.splitlines() if line.strip()]
    return module.TemplateInput(subject=subject.strip(), body=body, recipient_lines=lines or None)


def options(product: str, color: bool, duplex: bool) -> Any:
    from outbox.models import Product

    module = service()
    assert module is not None
    chosen = Product(product) if product in Product.__members__ else Product.standardbrief
    return module.LetterOptions(product=chosen, color=color, duplex=duplex)
