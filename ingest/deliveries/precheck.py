"""The contractor's pre-check: what a manifest would do, without storing anything.

Each row is run through the same row checks as a real delivery (:func:`service.classify`),
the ledger of imported documents and the Akte resolution of :func:`caseref.plan`, and comes
out as one of

* ``existing_case_file``: filed into this Akte (its Aktenzeichen and org unit are named);
* ``new_case_file``: an Akte would be created, in this org unit;
* ``already_imported``: the same external id and content was imported before;
* ``rejected``: with the ``reason_code`` and ``reason`` the real import would give.

Only checks that need the file's bytes (checksum, page count, type, separator parts) are
left for the import itself; the operator's ``akte import --check`` also reports rows whose
file the delivery lacks. Nothing is written: the caller's transaction only reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from akte.tenants import options as tenant_options
from akte.tenants.models import OrgUnit, Tenant
from ingest.deliveries import caseref, transfervermerk
from ingest.deliveries.checks import Rejection
from ingest.deliveries.manifest import ManifestError, iter_rows
from ingest.deliveries.models import ImportedDocument
from ingest.deliveries.service import classify


def _row(values: dict[str, Any], outcome: str, **extra: Any) -> dict[str, Any]:
    return {
        "row_no": values["row_no"],
        "external_id": values["external_id"],
        "filename": values["filename"],
        "aktenzeichen": values["aktenzeichen"],
        "bg_nummer": values["bg_nummer"],
        "outcome": outcome,
        "case_file_id": None,
        "case_file_aktenzeichen": None,
        "org_unit_code": None,
        "reason_code": None,
        "reason": None,
        **extra,
    }


def iter_plan(
    session: Session, tenant: Tenant, manifest_path: Path, *, file_names: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """One plan row per manifest row, in manifest order (raises :class:`ManifestError`)."""
    units: dict[Any, str] = {}
    for _row_in, values, problem in classify(None, iter_rows(manifest_path)):
        if problem is None and file_names is not None and values["filename"] not in file_names:
            problem = ("missing_file", "the manifest names this file but the delivery lacks it")
        if problem is not None:
            yield _row(values, "rejected", reason_code=problem[0], reason=problem[1])
            continue
        ledger_key = (
            tenant.id,
            values["external_id"],
            values["sha256_claimed"],
            values["part"] or 0,
        )
        if values["sha256_claimed"] and session.get(ImportedDocument, ledger_key) is not None:
            yield _row(
                values,
                "already_imported",
                reason="this external id with this content was imported before",
            )
            continue
        try:
            found = caseref.plan(
                session, tenant, aktenzeichen=values["aktenzeichen"], bg_nummer=values["bg_nummer"]
            )
        except Rejection as rejection:
            yield _row(values, "rejected", reason_code=rejection.code, reason=rejection.message)
            continue
        if found.case_file is not None:
            unit_id = found.case_file.org_unit_id
            if unit_id not in units:
                unit = session.get(OrgUnit, unit_id)
                units[unit_id] = unit.code if unit else ""
            yield _row(
                values,
                "existing_case_file",
                case_file_id=found.case_file.id,
                case_file_aktenzeichen=found.case_file.aktenzeichen,
                org_unit_code=units[unit_id],
            )
        else:
            assert found.new_org_unit is not None
            yield _row(values, "new_case_file", org_unit_code=found.new_org_unit.code)


def check(
    session: Session,
    tenant: Tenant,
    manifest_path: Path,
    *,
    transfervermerk_bytes: bytes | None = None,
    file_names: set[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> dict[str, Any]:
    """Counts over every row, the rows ``[offset, offset+limit)``, the tenant options that
    decided them and, when given, whether the Transfervermerk is acceptable."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    for n, row in enumerate(iter_plan(session, tenant, manifest_path, file_names=file_names)):
        counts[row["outcome"]] += 1
        if row["reason_code"]:
            reasons[row["reason_code"]] += 1
        if n >= offset and (limit is None or len(rows) < limit):
            rows.append(row)
    if not counts:
        raise ManifestError("the manifest lists no documents")
    result: dict[str, Any] = {
        "total": sum(counts.values()),
        "counts": dict(counts),
        "reasons": dict(reasons),
        "options": tenant_options.read(session, None, tenant),
        "rows": rows,
        "transfervermerk": None,
    }
    if transfervermerk_bytes is not None:
        try:
            transfervermerk.parse(transfervermerk_bytes)
            result["transfervermerk"] = {"valid": True, "error": None}
        except transfervermerk.TransfervermerkError as exc:
            result["transfervermerk"] = {"valid": False, "error": str(exc)}
    return result


PLAN_COLUMNS = [
    "row_no",
    "external_id",
    "filename",
    "aktenzeichen",
    "bg_nummer",
    "outcome",
    "case_file_aktenzeichen",
    "org_unit_code",
    "reason_code",
    "reason",
]


def check_path(
    ctx: Any, path: Path, tenant_slug: str, report_path: Path
) -> tuple[Counter[str], str | None]:
    """``akte import PATH --check``: the plan of a delivery folder or ZIP as CSV; the
    counts per outcome and what is wrong with the Transfervermerk (``None``: nothing).

    Besides the manifest's rows this sees the delivery's file names, so rows whose file is
    missing are reported too. Raises :class:`PrecheckFailed` when nothing can be read."""
    import csv
    import tempfile

    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.tenants import service as tenants
    from ingest.deliveries.sources import (
        MANIFEST_NAMES,
        TRANSFERVERMERK_NAMES,
        EntryError,
        Limits,
        SourceError,
        find_control_file,
        open_source,
    )

    counts: Counter[str] = Counter()
    tv: bytes | None = None
    work_root = ctx.settings.data_dir / "tmp"
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        source = open_source(path, Limits(max_file_bytes=ctx.settings.max_upload_bytes))
    except SourceError as exc:
        raise PrecheckFailed(str(exc)) from None
    try:
        manifest_name = find_control_file(source, MANIFEST_NAMES)
        tv_name = find_control_file(source, TRANSFERVERMERK_NAMES)
        if manifest_name is None:
            raise PrecheckFailed("the delivery has no manifest (" + ", ".join(MANIFEST_NAMES) + ")")
        source.prefix = manifest_name.rpartition("/")[0] + "/" if "/" in manifest_name else ""
        with (
            tempfile.TemporaryDirectory(dir=work_root) as tmp,
            session_scope(ctx.session_factory) as session,
        ):
            work = Path(tmp)
            with source.open_local(manifest_name.removeprefix(source.prefix), work) as local:
                manifest_path = work / "manifest"
                manifest_path.write_bytes(local.read_bytes())
            if tv_name is not None:
                with source.open_local(tv_name.removeprefix(source.prefix), work) as local:
                    tv = local.read_bytes()
            tenant = tenants.by_slug(session, tenant_slug)
            report_path.parent.mkdir(parents=True, exist_ok=True)
            with report_path.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh, delimiter=";")
                writer.writerow(PLAN_COLUMNS)
                for row in iter_plan(
                    session, tenant, manifest_path, file_names=set(source.names())
                ):
                    counts[row["outcome"]] += 1
                    writer.writerow(["" if row[c] is None else row[c] for c in PLAN_COLUMNS])
            session.rollback()
    except (EntryError, SourceError, ManifestError, AkteError) as exc:
        raise PrecheckFailed(
            getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        ) from None
    finally:
        source.close()
    if tv is None:
        return counts, "the delivery has no Transfervermerk (" + ", ".join(
            TRANSFERVERMERK_NAMES
        ) + ")"
    try:
        transfervermerk.parse(tv)
    except transfervermerk.TransfervermerkError as exc:
        return counts, str(exc)
    return counts, None


class PrecheckFailed(Exception):
    """The delivery cannot be checked at all (no manifest, unreadable, unknown tenant)."""
