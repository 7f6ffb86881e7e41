"""Rendering pages: one autoescaping Jinja2 environment and the headers every page gets.

Autoescape is on for every template, so a file name, title or search query containing
markup is shown as text. The Content-Security-Policy allows scripts, styles and frames from
this origin only (no inline script), which makes an escaping slip much harder to exploit.

The Jinja2 i18n extension is on: ``{% trans %}`` and ``_("…")`` in a template translate
German source text through the gettext catalogue (:mod:`akte.web.catalogues`) of the
page's ``lang`` (the portal passes the citizen's; staff pages are German).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from akte.web import catalogues, csrf

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
    extensions=["jinja2.ext.i18n"],
)


def _language(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else catalogues.SOURCE_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalogues.translation(_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return catalogues.translation(_language(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, ctx: str, message: str) -> str:
    return catalogues.pgettext(_language(context), ctx, message)


@pass_context
def _npgettext(context: Context, ctx: str, singular: str, plural: str, n: int) -> str:
    return catalogues.translation(_language(context)).npgettext(ctx, singular, plural, n)


env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
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
