"""ASGI entry point for uvicorn and other servers: ``akte.asgi:app``."""

from akte.app import create_app

app = create_app()
