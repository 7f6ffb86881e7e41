"""The FastAPI application: every router, the error mapping, health checks, the worker.

``create_app()`` reads the settings, applies migrations on the embedded default (elsewhere
it checks the schema is not behind: ``akte db upgrade`` runs once per deployment), opens storage
and, on the embedded default, starts the in-process worker. Tests pass a ready
:class:`AppContext` instead, so they control the database and storage.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute

from akte import __version__
from akte.core import tracing
from akte.core.compression import CompressionMiddleware
from akte.core.context import AppContext
from akte.core.handlers import install_exception_handlers
from akte.core.middleware import (
    BodySizeLimitMiddleware,
    ForwardedHeadersMiddleware,
    RequestIdMiddleware,
)
from akte.core.settings import Settings, get_settings
from akte.features import feature_modules
from akte.jobs.worker import BackgroundWorker
from search import warm as search_warm

log = logging.getLogger("akte")


def _core_routers() -> list:
    from akte.auth.router import router as auth_router
    from akte.case_files.router import router as case_files_router
    from akte.documents.router import router as documents_router
    from akte.jobs.router import router as jobs_router
    from akte.tenants.router import router as tenants_router
    from akte.users.router import router as users_router

    return [
        auth_router,
        tenants_router,
        users_router,
        case_files_router,
        documents_router,
        jobs_router,
    ]


@functools.cache
def _shared_routes() -> tuple[BaseRoute, ...]:
    """The core's and every feature's routes, included once per process and shared by
    every app the process makes.

    FastAPI builds an included route's request and response validation (a pydantic
    ``TypeAdapter`` per parameter and response model) on the first request that reaches
    it, once per inclusion. An app that included the routers afresh would pay that again:
    0.6-1.3 CPU-seconds per app, and the test processes make dozens of apps. The routes
    hold no app: handlers reach the context through ``request.app.state``. The price is
    that ``app.dependency_overrides`` does not reach them (akte uses none)."""
    shared = APIRouter()
    for router in _core_routers():
        shared.include_router(router)
    for module in feature_modules("router"):
        shared.include_router(module.router)
    return tuple(shared.routes)


def prepare_schema(settings: Settings) -> None:
    """Migrate (embedded default) or refuse to serve on a schema behind this code."""
    from akte.core.migrations import missing_heads, upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.effective_migrate_on_start:
        upgrade(settings.effective_database_url)
        return
    missing = missing_heads(settings.effective_database_url)
    if missing:
        raise RuntimeError(
            f"the database schema lacks migrations {', '.join(missing)}: run "
            "'akte db upgrade' (once per deployment) before starting this release"
        )


def create_app(
    settings: Settings | None = None,
    *,
    ctx: AppContext | None = None,
    migrate: bool = True,
    start_worker: bool | None = None,
    tracer_provider: Any = None,
) -> FastAPI:
    """``tracer_provider``: an OpenTelemetry provider to trace with (tests); without one,
    tracing follows the settings and is off by default (:mod:`akte.core.tracing`)."""
    settings = ctx.settings if ctx else (settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_ctx = ctx is None
        if migrate and own_ctx:
            prepare_schema(settings)
        context = ctx or AppContext.from_settings(settings)
        app.state.ctx = context
        if own_ctx:  # a server process (in-process test apps share the test's loaders)
            search_warm.start()
        if tracer_provider is not None:
            tracing.instrument_engine(context.engine, tracer_provider)
        worker = None
        run_worker = settings.run_inprocess_worker if start_worker is None else start_worker
        if run_worker:
            worker = BackgroundWorker(context)
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()
            if own_ctx:
                context.close()
            if tracer_provider is not None and own_provider:
                tracer_provider.shutdown()  # sends what is still buffered

    app = FastAPI(
        title="akte",
        version=__version__,
        description="Elektronische Akte für Jobcenter und Sozialverwaltung.",
        lifespan=lifespan,
    )
    if ctx is not None:
        app.state.ctx = ctx
    install_exception_handlers(app)
    for module in feature_modules("middleware"):  # innermost: sees the request id
        module.install(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(CompressionMiddleware)  # pages and JSON only, never ranged downloads
    # outermost: every layer inside sees the client address the trusted proxies name
    app.add_middleware(ForwardedHeadersMiddleware, trusted=settings.trusted_proxies)
    own_provider = tracer_provider is None
    # None unless an endpoint is set or a provider given
    tracer_provider = tracing.install(app, settings, tracer_provider)

    @app.get("/healthz", tags=["Betrieb"])
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["Betrieb"],
        responses={503: {"description": "cannot serve: database or storage down"}},
    )
    def readyz() -> JSONResponse:
        """503 ``unavailable`` when the database or object storage cannot be reached (take
        the instance out); 200 ``degraded`` naming what a person should look at (search
        index rebuilding, OCR language missing, outbox acknowledgement overdue); 200 ``ok``."""
        from akte.core.health import readiness

        result = readiness(app.state.ctx)
        return JSONResponse(
            result.body(), status_code=503 if result.status == "unavailable" else 200
        )

    app.router.routes.extend(_shared_routes())
    return app
