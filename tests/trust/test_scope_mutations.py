"""Each scope function, with its filter dropped, must make the role matrix fail.

A scope function builds the statement of what a principal may read or change (one per
aggregate, see docs/ARCHITECTURE.md, "Access control"). Here each one in turn is replaced
by the unscoped statement (every row of its table; for the clauses of
:mod:`akte.auth.permissions`, ``true()``), and the foreign-id checks
(``matrix_setup.leak_problems``) and then, if those stay green, the whole role × endpoint
matrix run against the app. A mutant that leaves both green "survives": the filter could
go unnoticed, and the test fails. A new scope function that is not listed here fails too.

The matrix and the checks call the app in-process, so patching the module attribute
changes what every router, page and service uses (they call ``module.function``).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, true
from sqlalchemy.engine import Engine

from akte.audit.models import AuditEntry
from akte.auth import permissions
from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.casework.models import CaseNote, FollowUp, Vorgang
from akte.documents.models import Document
from akte.grants.models import CaseFileGrant
from akte.identity.models import IdentityProvider
from akte.retention.models import LegalHold, RetentionRule
from akte.tenants.models import OrgUnit, Tenant
from akte.uploads.models import UploadCode
from akte.users.models import User
from ingest.deliveries.models import Delivery
from outbox.models import Batch, Letter
from search.backend import Scope
from tests.trust.matrix_setup import build, leak_problems
from tests.trust.test_role_matrix import matrix_problems

#: (module, function) → what the function returns with its filter dropped.
SCOPES = {
    ("akte.auth.permissions", "readable_case_file_clause"): lambda p: true(),
    ("akte.auth.permissions", "owned_case_file_clause"): lambda p: true(),
    ("akte.case_files.repository", "readable_statement"): lambda p: select(CaseFile),
    ("akte.case_files.repository", "writable_statement"): lambda p: select(CaseFile),
    ("akte.case_files.repository", "administered_statement"): lambda p: select(CaseFile),
    ("akte.documents.repository", "readable_statement"): lambda p: select(Document),
    ("akte.documents.repository", "writable_statement"): lambda p: select(Document),
    ("akte.documents.repository", "retention_statement"): lambda p: select(Document),
    ("akte.inbox.repository", "readable_statement"): lambda p: select(Document),
    ("akte.uploads.repository", "readable_statement"): lambda p: select(UploadCode),
    ("akte.uploads.repository", "writable_statement"): lambda p: select(UploadCode),
    ("akte.grants.service", "readable_statement"): lambda p: select(CaseFileGrant),
    ("akte.casework.repository", "readable_vorgang_statement"): lambda p: select(Vorgang),
    ("akte.casework.repository", "writable_vorgang_statement"): lambda p: select(Vorgang),
    ("akte.casework.repository", "readable_note_statement"): lambda p: select(CaseNote),
    ("akte.casework.repository", "readable_follow_up_statement"): lambda p: select(FollowUp),
    ("ingest.deliveries.repository", "readable_statement"): lambda p: select(Delivery),
    ("ingest.deliveries.repository", "writable_statement"): lambda p: select(Delivery),
    ("akte.audit.query", "readable_statement"): lambda p: select(AuditEntry),
    ("akte.identity.repository", "administered_statement"): lambda p: select(IdentityProvider),
    ("outbox.repository", "readable_letter_statement"): lambda p: select(Letter),
    ("outbox.repository", "provider_batch_statement"): lambda p: select(Batch),
    ("outbox.repository", "provider_letter_statement"): lambda p: select(Letter),
    ("akte.retention.repository", "readable_rule_statement"): lambda p: select(RetentionRule),
    ("akte.retention.repository", "readable_hold_statement"): lambda p: select(LegalHold),
    ("akte.users.repository", "readable_statement"): lambda p: select(User),
    ("akte.tenants.repository", "readable_tenant_statement"): lambda p: select(Tenant),
    ("akte.tenants.repository", "readable_org_unit_statement"): lambda p: select(OrgUnit),
    ("akte.auth.permissions", "readable_search_scope"): lambda p: _every_org_unit(p),
}

#: A plain connection pool on the matrix's database, for the search mutant's query. Not
#: the app's engine: that one begins every SQLite transaction IMMEDIATE (akte.core.database),
#: so the mutant's read, made while the search request holds the write lock, waited out
#: the 30 s busy timeout and the search answered 503. The mutant was "caught" by that
#: timeout, twice per run, a minute of waiting, instead of by the foreign ids it shows.
#: A deferred read here passes the writer (WAL), and the leak checks see the leak.
_READER: list[Engine] = []


def _every_org_unit(principal: Principal) -> Scope:
    """The search scope without its org-unit and grant filter: every org unit of the
    caller's tenant. (The tenant itself cannot be dropped from a search scope: each
    engine opens one tenant's index, see ``search.backend.Scope``.)"""
    if principal.tenant_id is None:
        return permissions.readable_search_scope(principal)
    with _READER[0].connect() as connection:
        units = connection.scalars(
            select(OrgUnit.id).where(OrgUnit.tenant_id == principal.tenant_id)
        )
        return Scope(principal.tenant_id, frozenset(units))


ROOT = Path(__file__).resolve().parents[2]
DEFINITION = re.compile(r"^def (\w+_(?:statement|clause|scope))\(principal: Principal\)", re.M)

#: Access rules live above storage: one backend suffices (the embedded one is quicker).
EMBEDDED = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


@pytest.fixture(scope="module")
def matrix(ctx, client):
    reader = create_engine(ctx.settings.effective_database_url)
    _READER[:] = [reader]
    yield build(ctx, client)
    _READER.clear()
    reader.dispose()


def test_every_scope_function_is_mutated():
    """A scope function added later is mutated here too, or this fails."""
    found = set()
    for package in ("akte", "ingest", "outbox", "search"):
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found |= {(module, name) for name in DEFINITION.findall(path.read_text())}
    assert found == set(SCOPES)


@EMBEDDED
def test_unmutated_scopes_pass(matrix):
    """The baseline: without a mutant, the checks find nothing (so a failure below is the
    mutant's doing)."""
    assert leak_problems(matrix) == []


@EMBEDDED
@pytest.mark.parametrize("scope", sorted(SCOPES), ids=lambda s: f"{s[0]}.{s[1]}")
def test_dropping_a_scope_filter_fails_the_matrix(scope, matrix, ctx, client, monkeypatch):
    module_name, function = scope
    module = importlib.import_module(module_name)
    monkeypatch.setattr(module, function, SCOPES[scope])
    problems = leak_problems(matrix, first=True)  # one problem catches the mutant
    if not problems:
        # the route-level matrix mutates its targets: a fresh world per run
        problems = matrix_problems(build(ctx, client))
    assert problems, f"{module_name}.{function} without its filter: every check still passes"
