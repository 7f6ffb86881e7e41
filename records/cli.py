"""``akte transfer AKTE --to TENANT``: a Zuständigkeitswechsel (request, and with
``--accept-by`` also acceptance and the move);
``akte export AKTE``: an Akteneinsicht, Aktenübersendung or xdomea Abgabe from the shell;
``akte xdomea import FILE``: record a receiver's answer (0402) to an Abgabe;
``akte xdomea offer AKTE…``: offer closed Akten to the archive (0501);
``akte xdomea send PACKAGE``: hand a package to the archive's transfer folder again.

The export is requested as a named user (``--user``), with exactly that user's rights (the
same checks and audit entries as the API), built at once in this process with progress,
and its files written to ``--out``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported where used: the command line starts without the app
    from sqlalchemy.orm import Session

    from akte.auth.principal import Principal
    from akte.tenants.models import Tenant
    from akte.users.models import User

name = "records"
app = typer.Typer(help="Schwärzung und Export", no_args_is_help=True)
export_app = typer.Typer(
    help="Export an Akte (Akteneinsicht, Aktenübersendung, xdomea)",
    context_settings={"allow_interspersed_args": True},
)
xdomea_app = typer.Typer(
    help="xdomea messages from other authorities and archives", no_args_is_help=True
)
transfer_app = typer.Typer(
    help="Zuständigkeitswechsel: an Akte to another tenant of this installation",
    context_settings={"allow_interspersed_args": True},
)
COMMANDS = {"export": export_app, "xdomea": xdomea_app, "transfer": transfer_app}


@xdomea_app.callback()
def xdomea_group() -> None:
    """xdomea messages from other authorities and archives."""


@export_app.callback(invoke_without_command=True)
def export(
    aktenzeichen: Annotated[str, typer.Argument(help="the Akte's Aktenzeichen")],
    tenant: Annotated[str, typer.Option(help="tenant slug")],
    user: Annotated[str, typer.Option(help="username whose rights the export uses")],
    recipient: Annotated[str, typer.Option(help="court, lawyer, authority")],
    kind: Annotated[str, typer.Option(help="court | inspection | xdomea-abgabe")] = "court",
    reference: Annotated[str | None, typer.Option(help="the recipient's reference")] = None,
    document: Annotated[
        list[str] | None, typer.Option(help="only this document id (repeatable)")
    ] = None,
    xdomea_version: Annotated[str | None, typer.Option(help="3.0.0 or 3.1.0")] = None,
    out: Annotated[Path, typer.Option(help="folder for the files")] = Path("."),
) -> None:
    """Request the export, build it here and write its PDF and package to ``--out``."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from akte.auth.service import principal_for
    from akte.case_files import repository as case_files
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from akte.tenants.models import Tenant
    from akte.users.models import User
    from records import build, exports
    from records.models import Export
    from records.schemas import ExportCreate

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            tenant_row = session.scalar(select(Tenant).where(Tenant.slug == tenant))
            if tenant_row is None:
                raise typer.BadParameter(f"no tenant {tenant!r}")
            person = session.scalar(
                select(User).where(User.username == user, User.tenant_id == tenant_row.id)
            )
            akte = case_files.by_aktenzeichen(session, tenant_row.id, aktenzeichen)
            if person is None or akte is None:
                raise typer.BadParameter("no such user or Akte in this tenant")
            try:
                body = ExportCreate.model_validate(  # the command line's strings, checked
                    {
                        "kind": kind,
                        "recipient": recipient,
                        "reference": reference,
                        "document_ids": document,
                        "xdomea_version": xdomea_version,
                    }
                )
                row = exports.create(
                    session, principal_for(session, person), akte.id, export_in=body
                )
            except (AkteError, ValidationError) as exc:
                typer.echo(f"refused: {exc}", err=True)
                raise typer.Exit(2) from None
            export_id, total = row.id, row.progress_total
        typer.echo(f"export {export_id}: {total} document(s) …")
        build.run(ctx, export_id)  # the queued job then finds it finished and does nothing
        with session_scope(ctx.session_factory) as session:
            built = session.get(Export, export_id)
            assert built is not None
            if built.status != "ready":
                typer.echo(f"failed: {built.error}", err=True)
                raise typer.Exit(1)
            out.mkdir(parents=True, exist_ok=True)
            files = []
            if built.pdf_sha256:
                files.append(
                    (built.pdf_sha256, (built.zip_name or "export").removesuffix(".zip") + ".pdf")
                )
            if built.zip_sha256:
                files.append((built.zip_sha256, built.zip_name or "export.zip"))
            for sha, filename in files:
                target = out / filename
                with target.open("wb") as fh:
                    for piece in ctx.storage.iter_range(sha):
                        fh.write(piece)
                typer.echo(f"  {target}")
            typer.echo(f"ready: {built.page_count or '–'} page(s)")
    finally:
        ctx.close()


@xdomea_app.command("import")
def import_message(
    file: Annotated[
        Path, typer.Argument(help="the message: its XML or its ZIP", exists=True, dir_okay=False)
    ],
    tenant: Annotated[str, typer.Option(help="tenant slug")],
    user: Annotated[str, typer.Option(help="username whose rights record it")],
) -> None:
    """Record a message on the process it names (its ProzessID), with the user's rights, as
    the API does: an import confirmation (0402) on its Abgabe, or the archive's evaluation,
    import confirmation or receipt (0502, 0506, 0504, 0507) on its Aussonderung. Exit 2
    with the reason when the message is refused."""
    import uuid

    from akte.auth.service import principal_for
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from records import aussonderung, confirmations, xdomea

    try:
        data = xdomea.unpack(file.read_bytes())
        message = xdomea.read_message(data, tuple(xdomea.ROOTS))
        process_id = uuid.UUID(message.process_id)
    except (xdomea.InvalidMessage, ValueError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            principal = principal_for(session, _person(session, tenant, user)[1])
            try:
                if message.code == "0402":
                    row = confirmations.record(session, ctx.storage, principal, process_id, data)
                    typer.echo(f"export {row.id}: {row.confirmation_status}")
                else:
                    found = aussonderung.receive(session, ctx.storage, principal, process_id, data)
                    typer.echo(f"Aussonderung {found.id}: {message.code} recorded, {found.status}")
            except AkteError as exc:
                typer.echo(f"refused: {exc}", err=True)
                raise typer.Exit(2) from None
    finally:
        ctx.close()


def _person(session: Session, tenant: str, user: str) -> tuple[uuid.UUID, User]:
    """The tenant's id and its user ``user`` (a bad parameter when either is unknown)."""
    row, person = _tenant_user(session, tenant, user)
    return row.id, person


def _tenant_user(session: Session, slug: str, username: str) -> tuple[Tenant, User]:
    """The tenant ``slug`` and its user ``username``; a bad parameter naming both when
    either is unknown."""
    from sqlalchemy import select

    from akte.tenants.models import Tenant
    from akte.users.models import User

    row = session.scalar(select(Tenant).where(Tenant.slug == slug))
    person = (
        None
        if row is None
        else session.scalar(select(User).where(User.username == username, User.tenant_id == row.id))
    )
    if row is None or person is None:
        raise typer.BadParameter(f"no user {username!r} in tenant {slug!r}")
    return row, person


@xdomea_app.command("offer")
def offer(
    aktenzeichen: Annotated[list[str], typer.Argument(help="Aktenzeichen of closed Akten")],
    tenant: Annotated[str, typer.Option(help="tenant slug")],
    user: Annotated[str, typer.Option(help="a tenant admin's username")],
    recipient: Annotated[str, typer.Option(help="the archive")],
    out: Annotated[Path, typer.Option(help="folder for the 0501 ZIP")] = Path("."),
) -> None:
    """Offer closed Akten to the archive (0501), as ``POST /api/v1/aussonderungen`` does,
    and write the Anbieteverzeichnis to ``--out`` for the archive's transfer folder."""
    from pydantic import ValidationError

    from akte.auth.service import principal_for
    from akte.case_files import repository as case_files
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from records import aussonderung
    from records.schemas import AussonderungCreate

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            tenant_id, person = _person(session, tenant, user)
            ids = []
            for number in aktenzeichen:
                akte = case_files.by_aktenzeichen(session, tenant_id, number)
                if akte is None:
                    raise typer.BadParameter(f"no Akte {number!r} in this tenant")
                ids.append(akte.id)
            try:
                row = aussonderung.offer(
                    session,
                    ctx.storage,
                    principal_for(session, person),
                    body=AussonderungCreate(recipient=recipient, case_file_ids=ids),
                    settings=ctx.settings,
                )
            except (AkteError, ValidationError) as exc:
                typer.echo(f"refused: {exc}", err=True)
                raise typer.Exit(2) from None
            out.mkdir(parents=True, exist_ok=True)
            target = out / (row.offer_name or "0501.zip")
            assert row.offer_sha256 is not None
            target.write_bytes(ctx.storage.read_bytes(row.offer_sha256))
            typer.echo(f"Aussonderung {row.id}: {len(ids)} Akte(n) offered, {target}")
    finally:
        ctx.close()


@xdomea_app.command("send")
def send(
    package: Annotated[str, typer.Argument(help="the package's name, e.g. <ProzessID>_0503.zip")],
    tenant: Annotated[str, typer.Option(help="tenant slug")],
    user: Annotated[str, typer.Option(help="a tenant admin's username")],
    out: Annotated[
        Path | None,
        typer.Option(help="write it here instead of the configured AKTE_XDOMEA_OUTBOX"),
    ] = None,
) -> None:
    """Hand a message package akte has written (0401 Abgabe, 0501 Anbietung, 0503
    Aussonderung) to the archive's transfer folder again: the configured outbox
    (``AKTE_XDOMEA_OUTBOX``, local or S3) or ``--out``. For an archive that lost a package
    or polls a folder that was set up after the package was made. Audited."""
    import tempfile

    from sqlalchemy import or_, select

    from akte.audit import service as audit
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from akte.users.models import Role
    from records import blobs, handover
    from records.folders import LocalFolder
    from records.models import Aussonderung, Export

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            tenant_id, person = _person(session, tenant, user)
            if person.role != Role.tenant_admin or not person.is_active:
                raise typer.BadParameter(f"{user} is not an active tenant admin of {tenant}")
            person_id = person.id
            sha256 = session.scalar(
                select(Export.zip_sha256).where(
                    Export.tenant_id == tenant_id, Export.zip_name == package
                )
            )
            if sha256 is None:
                row = session.scalar(
                    select(Aussonderung).where(
                        Aussonderung.tenant_id == tenant_id,
                        or_(
                            Aussonderung.offer_name == package, Aussonderung.package_name == package
                        ),
                    )
                )
                if row is not None:
                    sha256 = row.offer_sha256 if row.offer_name == package else row.package_sha256
        if sha256 is None:
            typer.echo(f"refused: no package {package!r} in tenant {tenant}", err=True)
            raise typer.Exit(2)
        if out is None:
            if not ctx.settings.xdomea_outbox:
                typer.echo(
                    "refused: AKTE_XDOMEA_OUTBOX is not set; name a folder with --out", err=True
                )
                raise typer.Exit(2)
            handover.put_outbox(ctx, tenant_id, package, sha256)
            typer.echo(f"{package} written to the outbox {ctx.settings.xdomea_outbox}")
            return
        # the outbox's own writer: a hidden name while writing, then a rename
        with tempfile.TemporaryDirectory(prefix="akte-send-") as tmp:
            path = blobs.fetch(ctx.storage, sha256, Path(tmp) / "package.zip")
            LocalFolder(out).put(package, path)
        with session_scope(ctx.session_factory) as session:
            audit.record(
                session,
                None,
                "records.xdomea.outbox",
                tenant_id=tenant_id,
                detail={
                    "name": package,
                    "sha256": sha256,
                    "folder": str(out),
                    "by": str(person_id),
                },
            )
        typer.echo(f"{package} written to {out}")
    finally:
        ctx.close()


@transfer_app.callback(invoke_without_command=True)
def transfer(
    aktenzeichen: Annotated[str, typer.Argument(help="the Akte's Aktenzeichen")],
    to: Annotated[str, typer.Option(help="receiving tenant (slug)")],
    tenant: Annotated[str, typer.Option(help="sending tenant (slug)")],
    user: Annotated[str, typer.Option(help="tenant admin of the sending tenant")],
    reason: Annotated[str, typer.Option(help="why (e.g. Umzug der BG)")] = "Zuständigkeitswechsel",
    accept_by: Annotated[
        str | None, typer.Option(help="tenant admin of the receiving tenant: accept at once")
    ] = None,
    org_unit: Annotated[
        str | None, typer.Option(help="receiving org unit (code), with --accept-by")
    ] = None,
) -> None:
    """Request the transfer as ``--user`` (the same checks and audit entries as the API);
    with ``--accept-by`` and ``--org-unit`` accept it as that receiving admin and move the
    Akte here. Exit 2 with the reason when refused."""
    from sqlalchemy import select

    from akte.auth.service import principal_for
    from akte.case_files import repository as case_files
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.errors import AkteError
    from akte.core.settings import get_settings
    from akte.tenants.models import OrgUnit
    from records import transfers
    from records.models import Transfer

    if (accept_by is None) != (org_unit is None):
        raise typer.BadParameter("--accept-by and --org-unit go together")
    ctx = AppContext.from_settings(get_settings())

    def admin(session: Session, slug: str, username: str) -> tuple[Tenant, Principal]:
        row, person = _tenant_user(session, slug, username)
        return row, principal_for(session, person)

    try:
        with session_scope(ctx.session_factory) as session:
            sender, principal = admin(session, tenant, user)
            akte = case_files.by_aktenzeichen(session, sender.id, aktenzeichen)
            if akte is None:
                raise typer.BadParameter(f"no Akte {aktenzeichen!r} in tenant {tenant!r}")
            try:
                row = transfers.request(
                    session, principal, case_file_id=akte.id, to_tenant=to, reason=reason
                )
                if accept_by is not None:
                    receiver, accepting = admin(session, to, accept_by)
                    unit = session.scalar(
                        select(OrgUnit).where(
                            OrgUnit.tenant_id == receiver.id, OrgUnit.code == org_unit
                        )
                    )
                    if unit is None:
                        raise typer.BadParameter(f"no org unit {org_unit!r} in {to!r}")
                    transfers.accept(session, accepting, row.id, org_unit_id=unit.id)
            except AkteError as exc:
                typer.echo(f"refused: {exc}", err=True)
                raise typer.Exit(2) from None
            transfer_id = row.id
        typer.echo(f"transfer {transfer_id}: {aktenzeichen} → {to} requested")
        if accept_by is None:
            typer.echo("waiting for the receiving tenant's admin to accept it")
            return
        with session_scope(ctx.session_factory) as session:
            transfers.move(session, ctx.storage, transfer_id)
        with session_scope(ctx.session_factory) as session:
            done = session.get(Transfer, transfer_id)
            assert done is not None
            if done.status != "done":
                typer.echo(f"failed: {done.error}", err=True)
                raise typer.Exit(1)
            typer.echo(f"moved: {done.document_count} document(s); search follows by job")
    finally:
        ctx.close()
