"""Load the German analysis of a process before its first search needs it.

The first query of a process expands compound parts and synonyms, which needs the folded
word list (:func:`search.compounds.load_words`), the hyphenation patterns and the synonym
groups. Read from their cache files that is milliseconds; with an empty data folder (a new
container, a new host) the word list is built first — seconds, 16 s measured under load —
and the first caseworker to search waited for it. The API starts this in a background
thread at start-up instead: the process answers ``/healthz`` and logins at once, and a
search that comes before the thread is done waits for that build (one build per word set
at a time in a process, :func:`search.wordset.cached`) and then reads its file.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

#: A word that goes through every loader: a compound (word list, hyphenation) with a
#: synonym group (Nebenkosten/Betriebskosten).
PROBE = "Nebenkostenabrechnung"


def load_analysis() -> float:
    """Load the word list, hyphenation and synonyms in this thread; seconds taken."""
    from search.analysis import compound_parts
    from search.synonyms import expander

    started = time.monotonic()
    compound_parts(PROBE.lower())
    expander()
    return time.monotonic() - started


def start() -> threading.Thread:
    """Run :func:`load_analysis` in a daemon thread (failures are logged: a search still
    loads what it needs on its own)."""

    def run() -> None:
        try:
            log.info("search analysis loaded in %.1f s", load_analysis())
        except Exception:  # the search path loads again and reports its own error
            log.exception("loading the search analysis at start-up failed")

    thread = threading.Thread(target=run, name="akte-search-warm", daemon=True)
    thread.start()
    return thread
