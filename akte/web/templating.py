"""Rendering pages: one autoescaping Jinja2 environment and the headers every page gets.

Autoescape is on for every template, so a file name, title or search query containing
markup is shown as text. The Content-Security-Policy allows scripts, styles and frames from
this origin only (no inline script), which makes an escaping slip much harder to exploit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from akte.web import csrf

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TZ = ZoneInfo("Europe/Berlin")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "frame-src 'self'; object-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def local_time(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """German local time: caseworkers and citizens read times in Europe/Berlin."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def epoch_time(value: int | None, fmt: str = "%H:%M") -> str:
    """A Unix time (a session's end) as German local time."""
    return local_time(datetime.fromtimestamp(value, UTC), fmt) if value else ""


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return f"{size} B"


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["local_time"] = local_time
env.filters["human_size"] = human_size
env.filters["epoch_time"] = epoch_time


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    secret = request.app.state.ctx.settings.effective_secret_key
    values = {
        "request": request,
        "csrf_token": csrf.token_for(request, secret),
        "csrf_field": csrf.FIELD,
        **(context or {}),
    }
    response = HTMLResponse(
        env.get_template(template).render(values),
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )
    csrf.persist(request, response)
    return response
