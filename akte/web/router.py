"""Every web route: pages for staff and citizens. (The upload-code and Posteingang APIs
are their packages' own routers: :mod:`akte.uploads.router`, :mod:`akte.inbox.router`.)

State-changing page routes call ``session.commit()`` themselves just before answering: the
``DbSession`` dependency commits only after the response has been sent, and a browser
follows a redirect (or the upload script's ``redirect``) at once, before that commit.
"""

from __future__ import annotations

from fastapi import APIRouter

from akte.web import (
    pdfjs,
    routes_account,
    routes_admin,
    routes_auth,
    routes_casework,
    routes_documents,
    routes_imports,
    routes_portal,
    routes_records,
    routes_second_factor,
    routes_sessions,
    routes_sso,
    routes_staff,
    routes_transfers,
)

router = APIRouter()
for module in (
    pdfjs,
    routes_auth,
    routes_second_factor,
    routes_sso,
    routes_portal,
    routes_staff,
    routes_documents,
    routes_imports,
    routes_casework,
    routes_sessions,
    routes_account,
    routes_records,
    routes_transfers,
    routes_admin,
):
    router.include_router(module.router)
