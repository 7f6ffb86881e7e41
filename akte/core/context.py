"""Everything a request or a worker needs, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from akte.core.database import make_engine, make_session_factory
from akte.core.settings import Settings
from akte.core.storage import BlobStore, make_blob_store


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    storage: BlobStore
    #: Per-process services that feature packages attach (e.g. ``"search"``: the index).
    extensions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        """Engine, storage and every feature's per-process services (``startup`` modules)."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        ctx = cls(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            storage=make_blob_store(settings),
        )
        from akte.features import feature_modules

        for module in feature_modules("startup"):
            module.startup(ctx)
        return ctx

    def close(self) -> None:
        for ext in self.extensions.values():
            close = getattr(ext, "close", None)
            if callable(close):
                close()
        self.engine.dispose()
