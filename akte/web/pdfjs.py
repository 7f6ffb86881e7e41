"""PDF.js for the document viewer, served from the installed ``pdfjs-dist`` package.

The browser's built-in PDF viewer fetches a whole file before it shows page 1 (188 MB for a
200-page scan's archive); PDF.js asks for byte ranges of the linearised archive and renders
page by page. The package is not vendored into the repository (about 1.5 MB of build
output and fonts that would need updating by hand): ``make run``, ``make test`` and the
Dockerfile install one pinned version with npm (:data:`VERSION`). Only the files the viewer
loads are served, from a fixed list, never a path from the request.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from akte.core.errors import NotFound
from akte.web.errors import PageRoute

#: Must match the Makefile and the Dockerfile.
VERSION = "4.10.38"
BUILD_FILES = {"pdf.min.mjs", "pdf.worker.min.mjs"}
_FONT = re.compile(r"^[A-Za-z0-9_-]{1,64}\.(pfb|ttf)$")
#: A new version changes the package's files, so clients may keep them a day.
CACHE = "public, max-age=86400"

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def package_dir(request_or_settings: object) -> Path:
    settings = getattr(request_or_settings, "settings", request_or_settings)
    configured = getattr(settings, "pdfjs_dir", None)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".cache" / "node" / "node_modules" / "pdfjs-dist"


def available(settings: object) -> bool:
    """Whether the viewer can use PDF.js (else the page embeds the browser's viewer)."""
    base = package_dir(settings)
    return all((base / "build" / name).is_file() for name in BUILD_FILES)


_LOADED: dict[Path, tuple[float, bytes]] = {}


def _read(path: Path) -> bytes:
    """The file's bytes, kept in memory (two files, 1.7 MB) while it is unchanged."""
    mtime = path.stat().st_mtime
    cached = _LOADED.get(path)
    if cached is None or cached[0] != mtime:
        cached = _LOADED[path] = (mtime, path.read_bytes())
    return cached[1]


@router.get("/static/pdfjs/{name}")
def build_file(name: str, request: Request) -> Response:
    """Sent as a plain answer without ``Accept-Ranges``, so the compression middleware
    gzips it (the worker: 1.4 MB, about a third of that gzipped) for a first open over a
    slow line; afterwards the browser's cache answers."""
    if name not in BUILD_FILES:
        raise NotFound("no such file")
    path = package_dir(request.app.state.ctx) / "build" / name
    if not path.is_file():
        raise NotFound("PDF.js is not installed")
    return Response(
        _read(path),
        media_type="text/javascript",
        headers={"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/static/pdfjs/standard_fonts/{name}")
def standard_font(name: str, request: Request) -> Response:
    """The 14 standard PDF fonts, for PDFs that name Helvetica without embedding it."""
    path = package_dir(request.app.state.ctx) / "standard_fonts" / name
    if not _FONT.match(name) or not path.is_file():
        raise NotFound("no such font")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"},
    )
