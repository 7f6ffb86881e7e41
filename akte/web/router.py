"""Every web route: pages for staff and citizens, and the upload-code API."""

from __future__ import annotations

from fastapi import APIRouter

from akte.web import api, routes_auth, routes_documents, routes_imports, routes_portal, routes_staff

router = APIRouter()
for module in (api, routes_auth, routes_portal, routes_staff, routes_documents, routes_imports):
    router.include_router(module.router)
