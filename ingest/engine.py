"""Long-lived Tesseract engines (``tesserocr``), instead of a process per page.

Running ``tesseract`` as a program starts a process and loads the models for every page
(and again for orientation detection): ``python -m bench.ocr --startup`` measures the
start and model load at about 0.28 CPU s with ``deu+eng`` and 0.09 s for OSD, next to
some 3 s for the page. Through tesserocr (Tesseract's C++ API; its wheel brings its own
libtesseract), engines for recognition and for OSD stay loaded in a pool; an OCR thread
borrows one per page, so a page costs only its own work. The pool is filled once in the
forkserver the processing children are forked from (:func:`preload`, via
:mod:`ingest.warm`), so a document's child starts with loaded engines instead of loading
the models itself. tesserocr releases the GIL while it works, so the processor's OCR
threads still run one recognition per core.

Optional: without tesserocr (or with ``AKTE_OCR_ENGINE=cli``) :mod:`ingest.ocr` runs the
``tesseract`` program as before. The outputs are the same files (text, the text-only page
PDF), so :mod:`ingest.pagepdf` does not know which ran.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

try:  # optional dependency
    import tesserocr
except ImportError:  # pragma: no cover - depends on the installation
    tesserocr = None

#: Idle engines by language set ("osd" for orientation detection). An OCR thread takes one
#: for a page and puts it back, so engines outlive threads: those loaded in the forkserver
#: (:func:`preload`) are inherited by every document's child process.
_idle: dict[str, list[Any]] = {}
_idle_lock = threading.Lock()

#: Tesseract slots shared by all documents a worker process handles at once (one per core;
#: set by :func:`use_slots` in each processing child): documents run side by side, but
#: never more recognitions than cores.
_slots: Any = None


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


def _create(key: str) -> Any:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if key == "osd":
        return tesserocr.PyTessBaseAPI(path=tessdata(), lang="osd", psm=tesserocr.PSM.OSD_ONLY)
    api = tesserocr.PyTessBaseAPI(path=tessdata(), lang=key, psm=tesserocr.PSM.AUTO)
    for name in ("tessedit_create_pdf", "textonly_pdf", "tessedit_create_txt"):
        api.SetVariable(name, "1")
    return api


@contextlib.contextmanager
def slot() -> Iterator[None]:
    """One of the shared Tesseract slots (:func:`use_slots`) while Tesseract works."""
    held = _slots
    if held is not None:
        held.acquire()
    try:
        yield
    finally:
        if held is not None:
            held.release()


@contextlib.contextmanager
def _engine(key: str) -> Iterator[Any]:
    """An idle engine for ``key`` (loaded if there is none), returned to the pool after use;
    while it works it holds one of the shared Tesseract slots, if any."""
    with _idle_lock:
        pool = _idle.setdefault(key, [])
        api = pool.pop() if pool else None
    if api is None:
        api = _create(key)
    try:
        with slot():
            yield api
    finally:
        with _idle_lock:
            _idle[key].append(api)


def preload(languages: str, count: int) -> int:
    """Load ``count`` recognition engines for ``languages`` and as many OSD engines into the
    pool; called in the forkserver, so no document's child loads the models again (a
    fork shares their memory until written). Returns how many engines were loaded."""
    if not available():
        return 0
    loaded = 0
    for key in (languages, "osd"):
        with _idle_lock:
            missing = count - len(_idle.setdefault(key, []))
        for _ in range(max(0, missing)):
            api = _create(key)
            with _idle_lock:
                _idle[key].append(api)
            loaded += 1
    return loaded


def use_slots(slots: Any) -> None:
    """Share ``slots`` (a semaphore, e.g. from the forkserver context) among this process's
    recognitions; ``None``: no bound beyond the OCR threads."""
    global _slots
    _slots = slots


def orientation(image: Image.Image, dpi: int) -> tuple[int, float] | None:
    """Counter-clockwise degrees that turn the page upright and OSD's confidence; ``None``
    when OSD finds too little to judge."""
    with _engine("osd") as api:
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
    with _engine(languages) as api:
        api.SetVariable("user_defined_dpi", str(dpi))
        ok = api.ProcessPages(str(base), str(source), None, int(timeout_seconds * 1000))
        confidences = [float(c) for c in api.AllWordConfidences()] if ok else None
        api.Clear()
    return confidences
