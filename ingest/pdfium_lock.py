"""One lock for every PDFium call in a process.

PDFium is not thread-safe, not even across different documents: two threads calling it at
once corrupt the process. On the embedded default the worker is a thread inside the API
process, and API requests (delivery checks) use PDFium too, so every entry point that
touches PDFium holds this re-entrant lock and closes its PDFium objects before releasing
it. Worker processes pay nothing for it: they call PDFium from one thread.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
