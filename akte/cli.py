"""The ``akte`` command line: serve, migrate, run workers, administer, inspect the queue.

Feature packages add their own sub-commands through a ``cli`` module exposing ``app``
(a Typer application) and ``name``.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import threading
import uuid
from typing import Annotated

import typer

from akte.core.settings import get_settings

app = typer.Typer(help="akte: elektronische Akte", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic)", no_args_is_help=True)
admin_app = typer.Typer(help="Tenants, org units, users and service accounts", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")


def _share_metrics() -> None:
    from akte.core.metrics_dir import export

    export(get_settings())


def _context():
    from akte.core.context import AppContext

    return AppContext.from_settings(get_settings())


@db_app.command("upgrade")
def db_upgrade(
    revision: str = "heads",
    sql: Annotated[
        bool,
        typer.Option(
            "--sql", help="print the SQL this upgrade would run (rolled back), change nothing"
        ),
    ] = False,
) -> None:
    """Apply migrations (every branch head by default), once per deployment: concurrent
    runs wait for each other (advisory lock), so replicas never race."""
    from akte.core.migrations import preview_sql, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    if sql:
        statements = preview_sql(url, revision)
        for statement in statements:
            typer.echo(statement.rstrip(";") + ";\n")
        typer.echo(f"-- {len(statements)} statements; nothing was changed", err=True)
        return
    upgrade(url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("check")
def db_check() -> None:
    """Exit 1 if the schema is behind this release (what the API checks at start)."""
    from akte.core.migrations import missing_heads

    missing = missing_heads(get_settings().effective_database_url)
    if missing:
        typer.echo(f"schema behind: missing {', '.join(missing)}; run akte db upgrade", err=True)
        raise typer.Exit(1)
    typer.echo("schema current")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    demo: Annotated[bool, typer.Option(help="seed demo data and print the logins")] = False,
    workers: int = 1,
) -> None:
    """Serve the API. The embedded default applies migrations at start; elsewhere run
    ``akte db upgrade`` once per deployment first (the API refuses a schema behind it)."""
    _share_metrics()
    import uvicorn

    from akte.app import prepare_schema

    settings = get_settings()
    prepare_schema(settings)
    if demo:
        from akte.demo import seed

        ctx = _context()
        logins = seed(ctx)
        ctx.close()
        typer.echo("\n  akte demo — logins (tenant 'demo', Jobcenter Musterstadt):")
        for username, password in logins.items():
            typer.echo(f"    {username:16s} {password}")
        typer.echo(f"\n  open http://{host}:{port}/ (API docs: http://{host}:{port}/docs)\n")
    from akte.operations.logging import setup_logging

    setup_logging()
    uvicorn.run(
        "akte.asgi:app", host=host, port=port, workers=workers, proxy_headers=False, log_config=None
    )


def _stop_when_orphaned(stop: threading.Event) -> None:
    """A worker process whose ``akte worker`` parent was killed (SIGKILL, OOM) finishes its
    current job and exits instead of running on unsupervised."""
    from akte.jobs.worker import stop_loops

    parent = os.getppid()

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop_loops(stop)

    threading.Thread(target=watch, name="akte-orphan-watch", daemon=True).start()


def _worker_process(poll: float) -> None:
    from akte.jobs.worker import run_forever, stop_on_signals
    from akte.operations.logging import setup_logging

    setup_logging()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    ctx = _context()
    stop = threading.Event()
    stop_on_signals(stop)
    # `kill -USR1 <pid>`: every thread's stack to stderr, and the worker runs on; shows
    # where a worker that seems stuck, or does not stop after SIGTERM, is waiting
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    _stop_when_orphaned(stop)
    try:
        run_forever(ctx, stop)
    finally:
        ctx.close()


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="worker processes (default: one per core)")] = 0,
    once: Annotated[
        bool, typer.Option(help="queue due periodic tasks, run queued jobs until idle, then exit")
    ] = False,
) -> None:
    """Process queued jobs. Run any number of these on any number of machines."""
    _share_metrics()
    if once:
        from akte.jobs.worker import run_until_idle, tick

        ctx = _context()
        tick(ctx)
        typer.echo(f"ran {run_until_idle(ctx)} jobs")
        ctx.close()
        return
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # as in each worker process
    count = processes or os.cpu_count() or 1
    procs = [
        multiprocessing.Process(target=_worker_process, args=(1.0,), daemon=False)
        for _ in range(count)
    ]
    for proc in procs:
        proc.start()

    def _forward(signum: int, _frame: object) -> None:
        for proc in procs:
            if proc.pid:
                os.kill(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    for proc in procs:
        proc.join()


@app.command()
def jobs(
    status: str | None = None,
    limit: int = 50,
    retry: Annotated[int | None, typer.Option(help="re-queue this dead job")] = None,
) -> None:
    """Show queue counts and recent jobs (failed ones with their error)."""
    from akte.core.database import session_scope
    from akte.jobs import repository

    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        if retry is not None:
            typer.echo("re-queued" if repository.retry(session, retry) else "no such job")
        typer.echo(
            "counts: "
            + ", ".join(f"{k}={v}" for k, v in sorted(repository.counts(session).items()))
        )
        stmt = repository.list_jobs(session, status=status).limit(limit)
        for job in session.scalars(stmt):
            error = (job.last_error or "").splitlines()[0][:100] if job.last_error else ""
            typer.echo(f"{job.id:>8} {job.status:8} {job.kind:32} attempts={job.attempts} {error}")
    ctx.close()


@app.command()
def schedule() -> None:
    """Show the periodic tasks: period, next run, and the state of the last queued run."""
    from akte.core.database import session_scope
    from akte.jobs import scheduler
    from akte.jobs.models import Job

    ctx = _context()
    try:
        with session_scope(ctx.session_factory) as session:
            for task, every, row in scheduler.schedules(session, ctx.settings):
                if every is None:
                    typer.echo(f"{task.name:28} off")
                    continue
                due = row.next_run_at.isoformat(timespec="seconds") if row else "first tick"
                last = session.get(Job, row.last_job_id) if row and row.last_job_id else None
                state = f"last job {last.id} {last.status}" if last else "not run yet"
                typer.echo(f"{task.name:28} every {every.total_seconds():g} s, next {due}, {state}")
    finally:
        ctx.close()


@admin_app.command("create-tenant")
def create_tenant(slug: str, name: str) -> None:
    """Create a Mandant."""
    from akte.core.database import session_scope
    from akte.tenants import service
    from akte.tenants.schemas import TenantCreate

    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        tenant = service.create_tenant(session, None, tenant_in=TenantCreate(slug=slug, name=name))
        typer.echo(f"tenant {tenant.slug} {tenant.id}")
    ctx.close()


@admin_app.command("create-org-unit")
def create_org_unit(tenant: str, code: str, name: str) -> None:
    """Create an org unit in the tenant with slug TENANT."""
    from akte.core.database import session_scope
    from akte.tenants import service
    from akte.tenants.schemas import OrgUnitCreate

    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        t = service.by_slug(session, tenant)
        unit = service.create_org_unit(
            session, None, t.id, org_unit_in=OrgUnitCreate(code=code, name=name)
        )
        typer.echo(f"org unit {unit.code} {unit.id}")
    ctx.close()


@admin_app.command("create-user")
def create_user(
    username: str,
    role: str,
    tenant: Annotated[str | None, typer.Option(help="tenant slug (not for system_admin)")] = None,
    display_name: str | None = None,
    org_unit: Annotated[list[str] | None, typer.Option(help="org unit code; repeatable")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="AKTE_NEW_PASSWORD", help="prompted if omitted")
    ] = None,
) -> None:
    """Create a user (caseworker, tenant_admin, system_admin) or a service account
    (importer, print_provider: its API key is printed once)."""
    from sqlalchemy import select

    from akte.core.database import session_scope
    from akte.tenants import service as tenants
    from akte.tenants.models import OrgUnit
    from akte.users import service
    from akte.users.models import SERVICE_ROLES, Role
    from akte.users.schemas import UserCreate

    role_value = Role(role)
    if role_value not in SERVICE_ROLES and not password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        tenant_id = tenants.by_slug(session, tenant).id if tenant else None
        unit_ids: list[uuid.UUID] = []
        for code in org_unit or []:
            unit = session.scalar(
                select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.code == code)
            )
            if unit is None:
                raise typer.BadParameter(f"unknown org unit {code}")
            unit_ids.append(unit.id)
        user, api_key = service.create_user(
            session,
            None,
            tenant_id,
            user_in=UserCreate(
                username=username,
                display_name=display_name or username,
                role=role_value,
                # a service account gets no password field at all (API keys only)
                **({} if role_value in SERVICE_ROLES else {"password": password}),
                org_unit_ids=unit_ids,
            ),
        )
        typer.echo(f"user {user.username} {user.id} ({user.role})")
        if api_key:
            typer.echo(f"API key (shown once): {api_key}")
    ctx.close()


@admin_app.command("issue-key")
def issue_key(username: str) -> None:
    """Issue another API key for a service account."""
    from sqlalchemy import select

    from akte.core.database import session_scope
    from akte.users import service
    from akte.users.models import User

    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise typer.BadParameter(f"unknown user {username}")
        typer.echo(f"API key (shown once): {service.issue_api_key(session, None, user.id)[0]}")
    ctx.close()


@admin_app.command("grant")
def grant(
    username: str,
    tenant: str,
    org_unit: str,
    until: Annotated[str | None, typer.Option(help="ISO date-time the grant expires")] = None,
) -> None:
    """Give USERNAME access to an org unit's Akten (optionally until a date)."""
    from datetime import datetime

    from sqlalchemy import select

    from akte.core.database import session_scope
    from akte.tenants import service as tenants
    from akte.tenants.models import OrgUnit
    from akte.users import service
    from akte.users.models import User
    from akte.users.schemas import MembershipWrite

    ctx = _context()
    with session_scope(ctx.session_factory) as session:
        t = tenants.by_slug(session, tenant)
        user = session.scalar(select(User).where(User.username == username))
        unit = session.scalar(
            select(OrgUnit).where(OrgUnit.tenant_id == t.id, OrgUnit.code == org_unit)
        )
        if user is None or unit is None:
            raise typer.BadParameter("unknown user or org unit")
        valid_until = datetime.fromisoformat(until) if until else None
        service.grant_membership(
            session, None, user.id, unit.id, membership_in=MembershipWrite(valid_until=valid_until)
        )
        typer.echo(
            f"{username} may read {tenant}/{org_unit}" + (f" until {until}" if until else "")
        )
    ctx.close()


@audit_app.command("seal")
def audit_seal() -> None:
    """Chain new entries and anchor the head (HMAC + object storage, Object Lock on S3)."""
    from akte.audit import anchors

    ctx = _context()
    try:
        sealed, anchor = anchors.seal_and_anchor(ctx)
    finally:
        ctx.close()
    typer.echo(f"sealed {sealed} new entries")
    if anchor:
        typer.echo(f"anchored seq {anchor.seq} hash {anchor.hash} at {anchor.at.isoformat()}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Seal new entries, then recompute the whole chain and compare it with every anchor;
    exit 1 if anything was altered, removed or truncated. An intact chain's head is then
    anchored."""
    from akte.audit import anchors, service
    from akte.core.database import session_scope

    ctx = _context()
    try:
        with session_scope(ctx.session_factory) as session:
            sealed = service.seal(session)
        result = anchors.verify(ctx)
        if result.ok:
            anchors.anchor_head(ctx)
    finally:
        ctx.close()
    typer.echo(f"sealed {sealed} new entries; checked {result.checked}")
    if not result.ok:
        typer.echo(f"AUDIT LOG BROKEN: {result.problem}", err=True)
        raise typer.Exit(1)
    typer.echo("audit log intact" + (f" ({result.problem})" if result.problem else ""))


def _mount_feature_clis() -> None:
    from akte.features import feature_modules

    for module in feature_modules("cli"):
        app.add_typer(module.app, name=module.name)
        for extra_name, extra_app in getattr(module, "COMMANDS", {}).items():
            app.add_typer(extra_app, name=extra_name)


def main() -> None:
    _mount_feature_clis()
    app()


def _register_tenant_commands() -> None:
    from akte.tenants import cli as tenant_cli

    tenant_cli.register(admin_app)


_register_tenant_commands()
