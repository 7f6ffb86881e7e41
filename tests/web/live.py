"""A real akte server on loopback and a real headless Chromium for the end-to-end tests.

The server runs uvicorn in a thread over an embedded data folder (SQLite + local blobs)
migrated by Alembic, with the in-process worker, so uploads are processed (text layer,
OCR, archive PDF) and indexed as in ``make run``. Chromium is Debian's, driven by
Playwright through ``executable_path`` (no browser download). axe-core comes from npm
(``make test`` installs it into ``.cache/node``; installed here if missing).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.migrations import upgrade
from tests.conftest import embedded_settings
from tests.infra.ports import free_port, wait_for_port
from tests.infra.templates import migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class LiveServer:
    url: str
    ctx: AppContext


@contextmanager
def live_server(data_dir: Path, port: int | None = None) -> Iterator[LiveServer]:
    """``port``: known in advance where another server must be told the address (an
    OpenID Provider's registered redirect URI); a free one otherwise."""
    # the default poll: the in-process worker takes what this process queues at once
    # (akte.jobs.wakeup); a 0.2-s poll of two loops claimed ten times a second for nothing
    settings = embedded_settings(data_dir)
    if (data_dir / "akte.db").exists():
        upgrade(settings.effective_database_url)  # a data folder used before: keep its data
    else:
        migrated_sqlite(data_dir)  # a copy of the migrated template (tests/infra/templates.py)
    ctx = AppContext.from_settings(settings)
    app = create_app(ctx=ctx, start_worker=True)
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="akte-live", daemon=True)
    thread.start()
    try:
        if not wait_for_port(port, 30):
            raise RuntimeError("the live akte server did not start")
        yield LiveServer(f"http://127.0.0.1:{port}", ctx)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        ctx.close()


def axe_source() -> str:
    if not AXE.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(AXE.parents[2]), "axe-core@4"],
            check=False,
            timeout=180,
        )
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make test` (it installs it with npm)")
    return AXE.read_text()


def serious_violations(page, axe: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(content=axe)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_until(predicate, timeout: float = 90.0, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
