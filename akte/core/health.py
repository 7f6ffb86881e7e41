"""Readiness that tells "cannot serve" from "degraded".

``/readyz`` answers **503** ``unavailable`` when akte cannot do its job at all: the database
or the object storage is unreachable (a load balancer takes the instance out). It answers
**200** ``degraded`` when akte serves but something a person should look at is wrong:
the search index is being rebuilt or unusable, Tesseract lacks an OCR language, the print
provider has not acknowledged a batch in time. Taking an instance out for those would
only make things worse (every instance shares them), so the balancer keeps it and the
monitoring shows the detail.

Feature packages add degraded-class checks in a ``health`` module: ``checks(ctx)``
returns ``{name: "ok" | what is wrong}``. They run only when the database answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import text

from akte.core.context import AppContext
from akte.core.errors import AkteError

log = logging.getLogger("akte.health")
OK = "ok"


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    critical: set[str] = field(default_factory=set)

    @property
    def status(self) -> str:
        if any(self.checks[name] != OK for name in self.critical):
            return "unavailable"
        return "ok" if all(v == OK for v in self.checks.values()) else "degraded"

    def body(self) -> dict:
        return {
            "status": self.status,
            "checks": self.checks,
            "degraded": sorted(
                k for k, v in self.checks.items() if v != OK and k not in self.critical
            ),
        }


def readiness(ctx: AppContext) -> Readiness:
    result = Readiness(critical={"database", "storage"})
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        result.checks["database"] = OK
    except Exception as exc:  # readiness reports, never raises
        result.checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        ctx.storage.check()
        result.checks["storage"] = OK
    except AkteError as exc:
        result.checks["storage"] = exc.detail
    if result.checks["database"] != OK:
        return result
    from akte.features import feature_modules

    for module in feature_modules("health"):
        try:
            result.checks.update(module.checks(ctx))
        except Exception as exc:  # one broken check must not hide the others
            log.warning("health check %s failed", module.__name__, exc_info=True)
            result.checks[module.__name__.split(".")[0]] = f"check failed: {type(exc).__name__}"
    return result
