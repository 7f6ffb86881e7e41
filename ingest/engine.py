"""A long-lived Tesseract per OCR thread (``tesserocr``), instead of a process per page.

Running ``tesseract`` as a program starts a process and loads the models for every page
(and again for orientation detection): ``python -m bench.ocr --startup`` measures the
start and model load at about 0.28 CPU s with ``deu+eng`` and 0.09 s for OSD, next to
some 3 s for the page. Through tesserocr (Tesseract's C++ API; its wheel brings its own
libtesseract), each OCR thread keeps one engine for recognition and one for OSD loaded
for as long as the worker process lives; a page costs only its own work. tesserocr releases the GIL while it works, so the
processor's OCR threads still run one recognition per core.

Optional: without tesserocr (or with ``AKTE_OCR_ENGINE=cli``) :mod:`ingest.ocr` runs the
``tesseract`` program as before. The outputs are the same files (text, the text-only page
PDF), so :mod:`ingest.pagepdf` does not know which ran.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

from PIL import Image

try:  # optional dependency
    import tesserocr
except ImportError:  # pragma: no cover - depends on the installation
    tesserocr = None

_local = threading.local()


@functools.cache
def tessdata() -> str | None:
    """The folder of the installed traineddata, as ``tesseract --list-langs`` names it."""
    try:
        result = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'"([^"]+)"', result.stdout + result.stderr)
    return found.group(1) if found and Path(found.group(1)).is_dir() else None


def available() -> bool:
    """Whether pages are read through the long-lived engine."""
    if os.environ.get("AKTE_OCR_ENGINE", "").lower() == "cli":
        return False
    return tesserocr is not None and tessdata() is not None


def _reader(languages: str) -> Any:
    engines: dict[str, Any] = _local.__dict__.setdefault("readers", {})
    api = engines.get(languages)
    if api is None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        api = tesserocr.PyTessBaseAPI(path=tessdata(), lang=languages, psm=tesserocr.PSM.AUTO)
        for name in ("tessedit_create_pdf", "textonly_pdf", "tessedit_create_txt"):
            api.SetVariable(name, "1")
        engines[languages] = api
    return api


def _osd() -> Any:
    api = getattr(_local, "osd", None)
    if api is None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        api = tesserocr.PyTessBaseAPI(path=tessdata(), lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        _local.osd = api
    return api


def orientation(image: Image.Image, dpi: int) -> tuple[int, float] | None:
    """Counter-clockwise degrees that turn the page upright and OSD's confidence; ``None``
    when OSD finds too little to judge."""
    api = _osd()
    api.SetImage(image)
    api.SetSourceResolution(dpi)
    result = api.DetectOrientationScript()
    api.Clear()
    if not result:
        return None
    return int(result["orient_deg"]) % 360, float(result["orient_conf"])


def recognise(
    source: Path, base: Path, dpi: int, languages: str, timeout_seconds: float
) -> list[float] | None:
    """Read the image file ``source``; write ``base``.txt and the text-only ``base``.pdf
    (``ProcessPages``: the same renderers as the program, a complete one-page PDF); the
    word confidences, or ``None`` if Tesseract gave up (timeout or failure)."""
    api = _reader(languages)
    api.SetVariable("user_defined_dpi", str(dpi))
    ok = api.ProcessPages(str(base), str(source), None, int(timeout_seconds * 1000))
    confidences = [float(c) for c in api.AllWordConfidences()] if ok else None
    api.Clear()
    return confidences
