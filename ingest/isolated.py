"""Processing a document in a child process with a memory limit.

Processing a 395 MB PDF took the server process (embedded default, in-process worker) from
1.0 to 2.47 GB, and about 1 GB stayed in use after the job: pdfium, qpdf and Pillow free
into the allocator, not to the system. Here each document is processed in a fresh child
(forked from a small forkserver that has the processing modules preloaded, so the cost is
a fork, not an interpreter start), and the child's address space is capped with
``RLIMIT_AS`` at its starting size plus ``AKTE_PROCESSING_MEMORY_MB`` (Tesseract, when
started as a program by the child, inherits the cap). When the child exits, all of its memory goes back to the system, so the worker's
own size does not follow the files it has processed.

Each job loop keeps its next child ready: a pool of one process that serves one document
and is then replaced (``max_tasks_per_child=1``), kept across documents, so the fork and
the child's start happen while the loop writes the previous result and claims the next
job, not while the next document waits. A pool made per document started a child for the
document and, when that child exited, a replacement the closing pool never used: two
starts per document, 3.5 s of a 0.14 s text PDF at load 6 (``python -m bench.soak``). And a
child started for a script (``akte serve``, ``akte worker``) imports that script again as
``__mp_main__`` before it runs anything, about 200 modules of the CLI; ``multiprocessing``
means the forkserver to import it once (its ``"__main__"`` preload) but never passes it
the path on Python 3.11, so :mod:`ingest.warm` does it (the path in ``AKTE_FORKSERVER_MAIN``)
and the children find it imported. A document that needs more than the
cap (a pathological page) ends as ``failed`` with a reason, raised as
:class:`ProcessingFailed` here, instead of the kernel's OOM killer taking the worker (and
the web server with it) down.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import resource
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from ingest import engine
from ingest.limits import Limits, ProcessingFailed
from ingest.processor import Processed, process_file

MB = 1024 * 1024
_CONTEXT: BaseContext | None = None
_SLOTS: Any = None
#: The running script, for the forkserver to import once (:mod:`ingest.warm`).
MAIN_ENV = "AKTE_FORKSERVER_MAIN"
#: Per job loop (thread): its pool of one warm child, and the slots it was made with.
_LOCAL = threading.local()


def _context() -> BaseContext:
    """The forkserver: children forked from a single-threaded process (not from a server
    with threads and open connections), with the processing modules already imported and
    the default languages' Tesseract engines loaded (:mod:`ingest.warm`)."""
    global _CONTEXT, _SLOTS
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.processor", "ingest.warm"])
        main = getattr(sys.modules["__main__"], "__file__", None)
        if main and getattr(sys.modules["__main__"], "__spec__", None) is None:
            # read by ingest.warm in the forkserver, which inherits the environment
            os.environ[MAIN_ENV] = os.path.abspath(main)
        # One Tesseract per core across all documents this process has in children at
        # once (the embedded default runs several): shared by every child.
        _SLOTS = context.BoundedSemaphore(os.cpu_count() or 1)
        _CONTEXT = context
    return _CONTEXT


def _start_child(slots: Any) -> None:
    engine.use_slots(slots)


def _too_big(memory_mb: int) -> ProcessingFailed:
    return ProcessingFailed(
        f"processing needs more than the memory limit of {memory_mb} MB "
        "(AKTE_PROCESSING_MEMORY_MB); a page may be damaged or far too large"
    )


def _address_space() -> int:
    """This process's address space now (``VmSize``), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _run(path: Path, workdir: Path, limits: Limits, memory_mb: int) -> Processed:
    """In the child: cap the address space at what it starts with plus ``memory_mb``,
    then process.

    The child starts with the forkserver's modules and preloaded Tesseract engines mapped
    (about 220 MB of address space on two cores, more with more cores and languages). A
    cap on the total would count those against the document — an installation setting
    256 MB would fail every scan — and one below the starting size does not even fail:
    the child lives on in the heap it inherited. So ``AKTE_PROCESSING_MEMORY_MB`` is what
    one document may map on top."""
    cap = _address_space() + memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        return process_file(path, workdir, limits)
    except MemoryError:
        raise _too_big(memory_mb) from None
    except OSError as exc:
        if exc.errno == errno.ENOMEM:
            raise _too_big(memory_mb) from None
        raise
    except RuntimeError as exc:
        # a thread's stack is a mapping too: at the cap, starting one fails like this
        if "can't start new thread" in str(exc):
            raise _too_big(memory_mb) from None
        raise


def process(path: Path, workdir: Path, limits: Limits, memory_mb: int) -> Processed:
    """:func:`ingest.processor.process_file` in a child capped at ``memory_mb`` (0: in this
    process, uncapped). A child that dies (out of memory in C code, a crash of a library)
    fails the document with a reason; the worker goes on with the next job."""
    if memory_mb <= 0:
        return process_file(path, workdir, limits)
    try:
        future = _pool().submit(_run, path, workdir, limits, memory_mb)
    except BrokenProcessPool:  # the waiting child died (killed while idle): start another
        _drop_pool()
        future = _pool().submit(_run, path, workdir, limits, memory_mb)
    try:
        return future.result()
    except BrokenProcessPool:
        _drop_pool()
        _renew_slots()
        raise _too_big(memory_mb) from None


def _pool() -> ProcessPoolExecutor:
    """This thread's pool of one child per document, its next child started in advance.

    Made anew when the slots were renewed (a child died): a warm child holds the slots it
    was started with. An idle pool's child exits when the pool is collected (its thread
    ended) or at interpreter exit."""
    context = _context()
    held = getattr(_LOCAL, "pool", None)
    if held is not None and held[1] is _SLOTS:
        warm: ProcessPoolExecutor = held[0]
        return warm
    _drop_pool()
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=context,
        max_tasks_per_child=1,
        initializer=_start_child,
        initargs=(_SLOTS,),
    )
    _LOCAL.pool = (pool, _SLOTS)
    return pool


def _drop_pool() -> None:
    held = getattr(_LOCAL, "pool", None)
    _LOCAL.pool = None
    if held is not None:
        held[0].shutdown(wait=False, cancel_futures=True)


def _renew_slots() -> None:
    """A child that died may have held Tesseract slots it can no longer give back: later
    children get a fresh set (those still running release into the old one)."""
    global _SLOTS
    if _CONTEXT is not None:
        _SLOTS = _CONTEXT.BoundedSemaphore(os.cpu_count() or 1)
