"""Shared bits of the caseworker pages: the page context and German labels."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from akte.auth.principal import Principal
from akte.features import _optional
from akte.users.models import Role
from akte.web.templating import render

SOURCE_LABELS = {
    "scan-import": "Scan-Import",
    "citizen-upload": "Bürger-Upload",
    "staff-upload": "Upload Sachbearbeitung",
    "letter": "Brief",
    "note": "Aktenvermerk",
}
STATUS_LABELS = {
    "received": "eingegangen",
    "processing": "in Verarbeitung",
    "ready": "bereit",
    "failed": "fehlgeschlagen",
}
#: Fixed confirmations selected by ``?msg=``: never echo free text from the URL.
MESSAGES = {
    "filed": "Dokument abgelegt.",
    "filed_many": "Die ausgewählten Dokumente sind abgelegt.",
    "vorgangsarten_saved": "Die Liste der Vorgangsarten ist gespeichert.",
    "dokumentarten_saved": "Die Liste der Dokumentarten ist gespeichert.",
    "rejected": "Dokument abgelehnt; es bleibt mit Grund in der Akte.",
    "uploaded": "Dateien hochgeladen; die Texterkennung läuft.",
    "revoked": "Upload-Code widerrufen.",
    "letter": "Brief in den Postausgang gestellt.",
    "vorgang": "Vorgang angelegt.",
    "vorgang_closed": "Vorgang abgeschlossen.",
    "vorgang_reopened": "Vorgang wieder geöffnet.",
    "moved": "Dokument zugeordnet.",
    "moved_akte": "Dokument in die andere Akte verschoben; beide Akten haben einen Vermerk.",
    "note": "Vermerk gespeichert.",
    "follow_up": "Wiedervorlage gesetzt.",
    "follow_up_done": "Wiedervorlage erledigt.",
    "follow_up_postponed": "Wiedervorlage verschoben.",
    "export_requested": "Export angefordert; er wird im Hintergrund erstellt.",
    "offered": "Die Akten sind dem Archiv angeboten; bis zu seiner Entscheidung sind sie gesperrt.",
    "archive_message": "Nachricht des Archivs eingelesen.",
    "session_ended": "Sitzung beendet.",
    "sessions_ended": "Alle anderen Sitzungen beendet.",
    "user_deactivated": "Konto deaktiviert; alle seine Sitzungen sind beendet.",
    "membership_saved": "Mitgliedschaft gespeichert.",
    "membership_removed": "Mitgliedschaft entfernt.",
    "key_revoked": "API-Schlüssel widerrufen.",
    "org_unit_created": "Organisationseinheit angelegt.",
    "grant_saved": "Freigabe gespeichert.",
    "grant_removed": "Freigabe entfernt.",
    "hold_created": "Sperre gesetzt: aus dieser Akte wird nichts gelöscht.",
    "hold_released": "Sperre aufgehoben.",
    "rule_saved": "Aufbewahrungsregel gespeichert.",
    "rule_deleted": "Aufbewahrungsregel gelöscht.",
    "tenant_created": "Mandant angelegt.",
    "transfer_requested": "Wechsel beantragt; das neue Jobcenter entscheidet.",
    "transfer_accepted": "Akte angenommen; sie wird jetzt übertragen.",
    "transfer_refused": "Wechsel abgelehnt; die Akte bleibt beim bisherigen Jobcenter.",
    "transfer_withdrawn": "Wechsel zurückgezogen.",
}
ADMIN_ROLES = (Role.tenant_admin, Role.system_admin)


def imports_available() -> bool:
    return _optional("ingest.deliveries.service") is not None


def page(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    values = {
        "principal": principal,
        "show_imports": principal.role in ADMIN_ROLES and imports_available(),
        "show_tenant_lists": principal.role == Role.tenant_admin,
        "show_admin": principal.role in ADMIN_ROLES,
        "source_labels": SOURCE_LABELS,
        "status_labels": STATUS_LABELS,
        # seconds to the idle and the absolute end of the session (None: no limit)
        "session_left": getattr(request.state, "session_left", (None, None)),
        "flash": [MESSAGES[m] for m in request.query_params.getlist("msg") if m in MESSAGES],
        **(context or {}),
    }
    return render(request, template, values, status_code)
