"""ASGI entry point for uvicorn and other servers: ``akte.asgi:app``."""

from akte.core import metrics_dir
from akte.core.settings import get_settings

metrics_dir.export(get_settings())  # before anything imports prometheus_client

from akte.app import create_app  # noqa: E402

app = create_app()
