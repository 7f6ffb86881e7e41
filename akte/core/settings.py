"""Settings from environment variables prefixed ``AKTE_`` (and an optional ``.env`` file).

The defaults are the *embedded* deployment: SQLite, blobs in a local folder, a Whoosh index
in a local folder and an in-process worker, all under ``AKTE_DATA_DIR``. Production sets
``AKTE_ENV=production``, a PostgreSQL ``AKTE_DATABASE_URL`` and ``AKTE_STORAGE_BACKEND=s3``;
there a placeholder secret key is refused at start-up.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "demo"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AKTE_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    secret_key: str = ""

    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "akte"
    s3_secure: bool = False
    s3_region: str | None = None

    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    #: Address space (RLIMIT_AS) the child process each document is processed in may map
    #: on top of what it starts with (preloaded code and engines; ingest/isolated.py); a
    #: document needing more fails with a reason. 0: process in the worker itself,
    #: uncapped. Virtual size, so well above the resident peak.
    processing_memory_mb: int = Field(default=4096, ge=0)
    token_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    inprocess_worker: bool | None = None
    #: Jobs the embedded default's in-process worker runs at once (0: one per core), so
    #: documents are processed side by side; their Tesseract calls share one slot per core.
    inprocess_worker_threads: int = Field(default=0, ge=0)
    worker_poll_seconds: float = 1.0
    job_max_attempts: int = 5
    job_lease_seconds: int = 600
    #: Search results kept per process (per tenant index generation); 0 disables the cache.
    search_cache_size: int = Field(default=512, ge=0)
    #: Processes ``akte search reindex`` builds tenant indexes in (0: one per core), once
    #: the tenants hold 10,000 documents together (``search.indexing.PART_MIN_DOCS``).
    #: PostgreSQL only; on SQLite every reader would queue for the write lock.
    search_reindex_workers: int = Field(default=0, ge=0)
    #: The search engine: ``whoosh`` (an index folder under ``AKTE_DATA_DIR``: one host) or
    #: ``postgres`` (full-text search in akte's PostgreSQL database: any number of hosts).
    search_backend: Literal["whoosh", "postgres"] = "whoosh"
    #: ``postgres`` backend: a search statement running longer is stopped and the API
    #: answers 503 ``search_timeout`` (narrow the query); 0 lifts the limit.
    search_statement_timeout_ms: int = Field(default=10_000, ge=0)
    #: Optional PostgreSQL replica that search queries read from (``postgres`` backend).
    search_database_url: str | None = None
    #: Whoosh on PostgreSQL: make this host the owner of the search index (after moving it).
    search_claim_index: bool = False
    #: How long a job keeps retrying storage or database outages ("not now" errors) before it
    #: is given up as dead; such retries do not use up ``job_max_attempts``.
    job_outage_seconds: int = Field(default=2 * 3600, ge=0)
    #: Read bandwidth the periodic blob scrub may use, in MB/s (``akte scrub --rate``).
    scrub_rate_mb_s: float = Field(default=20.0, gt=0)
    #: Seconds between periodic scrub runs; 0 switches the periodic scrub off.
    scrub_interval_seconds: float = Field(default=3600.0, ge=0)
    #: Blobs one periodic run re-hashes (least recently verified first).
    scrub_blobs_per_run: int = Field(default=500, ge=1)
    #: Seconds between periodic audit seals (chain new entries, anchor the head).
    audit_seal_interval_seconds: float = Field(default=60.0, gt=0)
    #: Seconds between checks for tenants past an outbox cut-off time.
    outbox_cutoff_interval_seconds: float = Field(default=60.0, gt=0)
    #: Seconds between runs of the queue pruning (``jobs.prune``); 0 switches it off.
    job_prune_interval_seconds: float = Field(default=3600.0, ge=0)
    #: Seconds between sweeps of the PostgreSQL engine's typo-tolerance vocabulary for words
    #: no document has any more (``search.vocabulary_prune``); 0 switches it off.
    search_vocabulary_prune_interval_seconds: float = Field(default=86400.0, ge=0)
    #: Days a ``done`` job is kept before ``jobs.prune`` deletes it; ``dead`` jobs are kept
    #: until someone retries them (``akte jobs --retry``) and they finish.
    job_keep_done_days: float = Field(default=7.0, ge=0)

    #: Apply migrations when an API process starts. Default: only on the embedded default
    #: (SQLite: one command, one host). Elsewhere ``akte db upgrade`` runs once per
    #: deployment and the API refuses to start on a schema behind its code.
    migrate_on_start: bool | None = None
    #: Bearer token Prometheus must send to ``GET /metrics``. Empty: ``/metrics`` answers
    #: without login outside production and is switched off (403) in production.
    metrics_token: str = ""
    #: OTLP/HTTP traces endpoint; empty (default): no tracing (:mod:`akte.core.tracing`;
    #: the standard ``OTEL_EXPORTER_OTLP_*`` variables switch it on too).
    otel_endpoint: str = ""
    #: Folder for multiprocess metrics (``PROMETHEUS_MULTIPROC_DIR``): ``akte serve`` and
    #: ``akte worker`` processes of a host write there, so one scrape returns their sum.
    #: Empty: each process counts for itself.
    metrics_dir: Path | None = None
    #: The ``pdfjs-dist`` package the document viewer serves (``make run``/``make test`` and
    #: the image install it with npm into ``.cache/node``). Empty: that folder next to the
    #: ``akte`` package. Missing: pages fall back to the browser's own PDF viewer.
    pdfjs_dir: Path | None = None

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env == "production":
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise ValueError("AKTE_SECRET_KEY must be a random value of 32+ characters")
            if self.storage_backend == "s3" and self.s3_secret_key in PLACEHOLDER_SECRETS:
                raise ValueError("AKTE_S3_SECRET_KEY must be set in production")
        return self

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'akte.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def effective_migrate_on_start(self) -> bool:
        return self.is_sqlite if self.migrate_on_start is None else self.migrate_on_start

    @property
    def run_inprocess_worker(self) -> bool:
        """The embedded default processes jobs inside the API process; production does not."""
        if self.inprocess_worker is not None:
            return self.inprocess_worker
        return self.is_sqlite

    @cached_property
    def effective_secret_key(self) -> str:
        """The signing key; outside production a random one is kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    # --- trust: audit anchors, proxies, public links -------------------------------------
    #: HMAC key of the audit anchors; empty: derived from the secret key. Never stored in
    #: the database, so a database writer cannot forge an anchor.
    audit_anchor_key: str = ""
    #: Bucket of the audit anchors on S3 (created with Object Lock); empty: ``<bucket>-audit``.
    audit_anchor_bucket: str = ""
    #: Object Lock retention (COMPLIANCE) of each anchor written to S3.
    audit_anchor_retention_days: int = Field(default=3650, ge=1)
    #: Comma-separated addresses/CIDRs whose ``X-Forwarded-*`` headers are believed.
    trusted_proxies: str = ""
    #: The address citizens and letters use (``https://akte.example.org``); required in
    #: production, since links for outside use are never built from the Host header.
    public_url: str = ""
    #: The mail server for the citizen's optional notice "your papers were processed"
    #: (akte/web/notify.py); empty: no notices, and the portal asks for no address.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    #: ``STARTTLS`` after connecting (port 587); implicit TLS (465) is ``smtp_tls``.
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "akte@localhost"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    #: Seconds between runs of ``portal.notify``; 0 switches the notices off.
    portal_notify_interval_seconds: float = Field(default=60.0, ge=0)
    #: Days after its code expired that an address waiting for a notice is deleted unsent.
    portal_notify_keep_days: int = Field(default=30, ge=0)
    #: Hand-over folder the archive's transfer tool polls (records/handover.py): a local
    #: folder or ``s3://bucket/prefix`` (on the S3 server of ``AKTE_S3_*``); each tenant
    #: writes under its short name. Empty: packages are only downloaded in the browser.
    xdomea_outbox: str = ""
    #: Folder the archive's answers (0402, 0502, 0504, 0506, 0507) are dropped into, same
    #: forms; imported by ``records.xdomea_inbox``, then moved to ``done/`` or ``rejected/``.
    xdomea_inbox: str = ""
    #: Seconds between runs of ``records.xdomea_inbox`` (when an inbox is set); 0: off.
    xdomea_inbox_interval_seconds: float = Field(default=300.0, ge=0)

    @model_validator(mode="after")
    def _production_needs_public_url(self) -> Settings:
        import ipaddress

        for part in self.trusted_proxies.replace(",", " ").split():
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"AKTE_TRUSTED_PROXIES: {part!r} is no address or CIDR") from exc
        if self.public_url.strip() and not self.public_url.strip().startswith(
            ("http://", "https://")
        ):
            raise ValueError("AKTE_PUBLIC_URL must start with https:// (or http://)")
        if self.env == "production" and not self.public_url.strip():
            raise ValueError(
                "AKTE_PUBLIC_URL must be set in production (e.g. https://akte.example.org)"
            )
        return self

    @cached_property
    def effective_audit_anchor_key(self) -> bytes:
        if self.audit_anchor_key:
            return self.audit_anchor_key.encode()
        import hashlib
        import hmac

        return hmac.new(
            self.effective_secret_key.encode(), b"akte-audit-anchor", hashlib.sha256
        ).digest()

    @property
    def effective_public_url(self) -> str:
        """Where outside links point: ``AKTE_PUBLIC_URL``, else the local ``akte serve``."""
        return (self.public_url.strip() or "http://127.0.0.1:8000").rstrip("/")


def get_settings() -> Settings:
    return Settings()
