"""``AKTE_METRICS_DIR`` → ``PROMETHEUS_MULTIPROC_DIR``, before ``prometheus_client`` loads.

``prometheus_client`` decides at import whether values live in process memory or in files
of that folder, so this runs first in every entry point that serves or works (``akte
serve``, ``akte worker``, ``akte.asgi``); child processes inherit the variable. This module
imports nothing that imports ``prometheus_client``. Stale files of earlier runs are for the
operator to clear at boot: files of running processes must not be removed.
"""

from __future__ import annotations

import os

from akte.core.settings import Settings


def export(settings: Settings) -> None:
    folder = settings.metrics_dir
    if folder and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())
