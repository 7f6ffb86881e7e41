"""Unknown query parameters answered 422 instead of being ignored.

A list endpoint that silently ignores ``?sort=title`` or ``?doc_typ=Bescheid`` (a typo)
returns *something*, and the caller cannot tell that the filter did not apply. A route
that adds :data:`StrictQuery` to its ``dependencies`` refuses every query parameter it does
not declare with 422 ``unknown_parameter`` naming them. The allowed names are read from the
route itself (its query parameters, including those of a query model such as
``Annotated[Model, Query()]``, by alias), so the list cannot drift from the signature.

Opt-in per route on purpose: web pages carry ``?msg=`` flashes and bookmarks with old
parameters and stay lenient; API lists whose filters matter use it.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from akte.core.errors import Unprocessable


class UnknownParameter(Unprocessable):
    """A query parameter the operation does not know (a typo, or a filter it does not
    offer): refused rather than ignored, so a list is never silently unfiltered."""

    code = "unknown_parameter"


def _declared(dependant: Dependant) -> frozenset[str]:
    """Query parameter names of the route and its dependencies (a query model's fields
    by alias)."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for param in current.query_params:
            annotation = param.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names.update(info.alias or name for name, info in annotation.model_fields.items())
            else:
                names.add(param.alias)
    return frozenset(names)


def _check(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    cache = request.app.state.__dict__.setdefault("strict_query_names", {})
    allowed = cache.get(id(route))
    if allowed is None:
        allowed = cache[id(route)] = _declared(dependant)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise UnknownParameter(
            f"unknown query parameter(s): {', '.join(unknown)}; "
            f"this operation accepts: {', '.join(sorted(allowed)) or 'none'}"
        )


#: Add to a route's ``dependencies=[...]`` (and ``UnknownParameter`` to its responses).
StrictQuery = Depends(_check)
