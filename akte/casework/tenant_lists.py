"""What a tenant admin's replacement list (Vorgangsarten, Dokumentarten) must satisfy:
no blank name, no name twice (compared without case)."""

from __future__ import annotations

from collections.abc import Iterable

from akte.core.errors import Conflict, Unprocessable


def check_names(names: Iterable[str], label: str, kind: str) -> None:
    """Raise 422 ``unknown_<kind>`` for a blank name, 409 ``duplicate_<kind>`` for a
    repeated one; ``label`` is the German word shown to the admin."""
    seen: set[str] = set()
    for name in names:
        if not name:
            raise Unprocessable(f"Eine {label} darf nicht leer sein", code=f"unknown_{kind}")
        if name.casefold() in seen:
            raise Conflict(
                f"Die {label} „{name}“ steht doppelt in der Liste "
                "(Groß- und Kleinschreibung zählen nicht)",
                code=f"duplicate_{kind}",
            )
        seen.add(name.casefold())
