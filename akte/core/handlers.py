"""The one place exceptions become HTTP responses: ``{"error": code, "detail": text}``."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from akte.core.errors import AkteError, ErrorBody, MalformedBody, StorageUnavailable, responses

log = logging.getLogger("akte.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def _describe(errors: list) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def _document_body_errors(schema: dict) -> None:
    """Every operation that reads a body may answer 400 when the body cannot be parsed at
    all (FastAPI's "error parsing the body", "Invalid multipart data"); publish that on
    each of them, routes added later included."""
    ((status, answer),) = responses(MalformedBody).items()
    published = {
        "description": answer["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "ErrorBody", ErrorBody.model_json_schema()
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault(str(status), published)


def _document_validation_errors(app: FastAPI) -> None:
    """Make the published schema of 422 answers what ``_validation`` really sends."""
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()
        components = schema.get("components", {}).get("schemas", {})
        _document_body_errors(schema)
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _allowed_methods(request: Request) -> str | None:
    """``Allow`` of a 405: the methods the published schema lists for the request's path.
    Starlette names only the methods of the first route that matched the path, so
    ``OPTIONS /case-files`` said ``Allow: POST`` although ``GET`` works too. Of several
    matching templates the most literal wins (``/deliveries/check`` over
    ``/deliveries/{delivery_id}``). ``None`` for paths outside the schema (web pages)."""
    app = request.app
    templates = getattr(app.state, "allow_templates", None)
    if templates is None:
        templates = []
        for path, operations in app.openapi().get("paths", {}).items():
            pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))
            methods = {m.upper() for m in operations if m.upper() in _METHODS}
            templates.append((path.count("{"), pattern, methods))
        app.state.allow_templates = templates
    matches = [
        (params, methods)
        for params, pattern, methods in templates
        if pattern.fullmatch(request.url.path)
    ]
    if not matches:
        return None
    fewest = min(params for params, _ in matches)
    allowed = set().union(*(methods for params, methods in matches if params == fewest))
    return ", ".join(sorted(allowed))


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def install_exception_handlers(app: FastAPI) -> None:
    _document_validation_errors(app)

    @app.exception_handler(AkteError)
    async def _akte_error(request: Request, exc: AkteError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        headers.update(getattr(exc, "headers", None) or {})  # e.g. Retry-After of a 429
        if exc.retry_after is not None:
            headers.setdefault("Retry-After", str(exc.retry_after))
        if isinstance(exc, StorageUnavailable):
            log.warning("storage fault on %s %s: %s", request.method, request.url.path, exc.detail)
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "validation_error", "detail": _describe(exc.errors())}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unreachable: %s", exc)
        return JSONResponse(
            {"error": "service_unavailable", "detail": "the database is not reachable"},
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "error": "internal_error",
                "detail": "an unexpected error occurred; it has been logged",
            },
            status_code=500,
        )
