"""Imported by the forkserver of the processing children (:mod:`ingest.isolated`): loads
one recognition engine (default languages) and one OSD engine per core into the engine
pool, so every document's child is forked with them already loaded.

Loading ``deu+eng`` costs about 0.3 CPU s and OSD about 0.1 s (``python -m bench.ocr
--startup``); without this each child — one per document, and at a jobcenter most
documents have one or two pages — would pay it again. A tenant with other languages loads
its engine in the child, as before. Importing this module has that side effect on purpose:
``multiprocessing`` can only preload modules by name.
"""

from __future__ import annotations

import os

from ingest import engine
from ingest.limits import Limits

PRELOADED = engine.preload(Limits().languages, os.cpu_count() or 1)
