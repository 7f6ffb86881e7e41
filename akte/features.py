"""The feature packages the core assembles at start-up, never at import time.

Each package may provide ``models`` (tables), ``router`` (a FastAPI ``router``),
``tasks`` (job handlers registered with :mod:`akte.jobs.registry`) and ``cli`` (a Typer
``app`` mounted under its name). Dependencies point one way: features use the core.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CORE_MODEL_MODULES = [
    "akte.tenants.models",
    "akte.users.models",
    "akte.case_files.models",
    "akte.documents.models",
    "akte.jobs.models",
    "akte.audit.models",
    "akte.auth.models",
]

FEATURE_PACKAGES = [
    "ingest",  # document processing: text extraction, OCR, archive PDF, thumbnails
    "ingest.deliveries",  # bulk import of scanning contractors' deliveries
    "search",  # full-text index
    "outbox",  # letters and the print provider's API
    "akte.inbox",  # Posteingang: filing and rejecting items not yet in the Akte
    "akte.uploads",  # upload codes, citizens' uploads and receipts
    "akte.web",  # caseworker pages and the citizen upload portal
    "akte.retention",  # retention rules, legal holds, deletion
    "akte.operations",  # fsck, metrics, structured logs
    "akte.audit",  # audit log queries and export (the log itself is core)
    "akte.grants",  # single-Akte grants to org units
    "akte.identity",  # single sign-on: OpenID Connect and LDAP directories
    "akte.casework",  # Vorgänge, Aktenvermerke, Wiedervorlagen inside an Akte
    "records",  # Schwärzung, Akteneinsicht/Aktenübersendung exports, xdomea
]


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module or (exc.name and module.startswith(exc.name + ".")):
            return None
        raise


def feature_modules(kind: str) -> list[ModuleType]:
    """The ``kind`` module (``models``, ``router``, ``tasks``, ``cli``) of every feature."""
    found = []
    for package in FEATURE_PACKAGES:
        module = _optional(f"{package}.{kind}")
        if module is not None:
            found.append(module)
    return found


def load_all_models() -> None:
    for name in CORE_MODEL_MODULES:
        importlib.import_module(name)
    feature_modules("models")
