"""Imported by the forkserver of the processing children (:mod:`ingest.isolated`): loads
one recognition engine (default languages) and one OSD engine per core into the engine
pool, so every document's child is forked with them already loaded.

Loading ``deu+eng`` costs about 0.3 CPU s and OSD about 0.1 s (``python -m bench.ocr
--startup``); without this each child — one per document, and at a jobcenter most
documents have one or two pages — would pay it again. A tenant with other languages loads
its engine in the child, as before. It also imports the parent's script (see ``MAIN``).
Importing this module has that side effect on purpose:
``multiprocessing`` can only preload modules by name.
"""

from __future__ import annotations

import os
from multiprocessing import spawn

from ingest import engine
from ingest.limits import Limits

PRELOADED = engine.preload(Limits().languages, os.cpu_count() or 1)

#: The parent's script (``akte``), imported here once as ``__mp_main__``: a child finds it
#: already imported and skips running it again, which cost every document's child about
#: 200 modules of the CLI (:mod:`ingest.isolated`).
MAIN = os.environ.get("AKTE_FORKSERVER_MAIN")
if MAIN and os.path.isfile(MAIN):
    spawn.import_main_path(MAIN)
