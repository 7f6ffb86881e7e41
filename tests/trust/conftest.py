"""Fixtures of the trust tests shared by several modules."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import uvicorn

from akte.app import create_app
from akte.core.context import AppContext
from tests.builders import World, make_world
from tests.conftest import embedded_settings
from tests.infra.ports import free_port, wait_for_port
from tests.infra.templates import migrated_sqlite


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> Iterator[tuple[str, World]]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    migrated_sqlite(data_dir)
    settings_ = embedded_settings(data_dir)
    ctx = AppContext.from_settings(settings_)
    world = make_world(ctx)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx=ctx, start_worker=False), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, name="akte-fuzz", daemon=True)
    thread.start()
    try:
        assert wait_for_port(port, 60), "the server did not start"
        yield f"http://127.0.0.1:{port}", world
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        ctx.close()
