"""Every ``/api/v1`` route × every role: exactly the declared roles get through.

"Gets through" means the answer is not 401/403/404 (a 2xx or a 409 means the caller was
allowed to try; a 422 counts as refused, and is an error for a role that should pass,
because the table's requests are valid). The table below is the access policy in one place; a route without an
entry fails the test, so a new route cannot ship without deciding who may use it. Ids of
another tenant's objects answer 404 (they do not exist for the caller), never 403.

Set ``AKTE_MATRIX_DISCOVER=1`` to print what the app actually does, as a table to compare.
"""

from __future__ import annotations

import os

import pytest

from tests.trust.matrix_setup import ROLES, Matrix, api_routes, build, request_for

ALL = frozenset(ROLES)
LOGGED_IN = ALL - {"anonymous", "citizen"}
#: may read Akte A and its documents
READERS = frozenset({"cw_access", "cw_granted"})
#: own Akte A (permanent membership of its org unit): a grant only lends (akte.auth.permissions)
OWNERS = frozenset({"cw_access"})
ADMIN = frozenset({"tenant_admin"})
SYSTEM = frozenset({"system_admin"})
NOBODY: frozenset[str] = frozenset()
PROVIDER = frozenset({"provider"})
TENANT_ADMINS = frozenset({"tenant_admin", "admin_other_tenant"})
CASEWORKERS_A = frozenset({"cw_access", "cw_granted", "cw_no_grant"})
SEARCHERS = CASEWORKERS_A | {"cw_other_tenant"} | TENANT_ADMINS

POLICY: dict[tuple[str, str], frozenset[str]] = {
    # -- sign-in and self ------------------------------------------------------------------
    ("POST", "/api/v1/auth/token"): ALL,  # the login itself: credentials are in the form
    ("GET", "/api/v1/auth/me"): LOGGED_IN,
    ("POST", "/api/v1/auth/logout-everywhere"): LOGGED_IN,
    # service accounts have no password (API keys only)
    ("POST", "/api/v1/auth/password"): LOGGED_IN - {"importer", "provider"},
    # the own second factor: people only (a wrong confirmation code is 400, allowed to try)
    ("GET", "/api/v1/auth/second-factor"): LOGGED_IN - {"importer", "provider"},
    ("POST", "/api/v1/auth/second-factor"): LOGGED_IN - {"importer", "provider"},
    ("POST", "/api/v1/auth/second-factor/confirm"): LOGGED_IN - {"importer", "provider"},
    ("DELETE", "/api/v1/users/{user_id}/second-factor"): SYSTEM | ADMIN,
    # browser sessions: one's own (any identity, its list may be empty), or as their admin
    ("GET", "/api/v1/auth/sessions"): LOGGED_IN,
    ("DELETE", "/api/v1/auth/sessions"): LOGGED_IN,
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): NOBODY,  # not a session of theirs: 404
    ("GET", "/api/v1/users/{user_id}/sessions"): SYSTEM | ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/sessions"): SYSTEM | ADMIN,
    # -- administration: system admins make tenants; tenant admins run their own ----------
    ("POST", "/api/v1/tenants"): SYSTEM,
    ("GET", "/api/v1/tenants"): SYSTEM | TENANT_ADMINS,  # a tenant admin sees their own
    ("POST", "/api/v1/tenants/{tenant_id}/org-units"): SYSTEM | ADMIN,
    # caseworkers pick an org unit when they create an Akte
    ("GET", "/api/v1/tenants/{tenant_id}/org-units"): SYSTEM | ADMIN | CASEWORKERS_A,
    ("POST", "/api/v1/tenants/{tenant_id}/users"): SYSTEM | ADMIN,
    ("GET", "/api/v1/tenants/{tenant_id}/users"): SYSTEM | ADMIN,
    ("POST", "/api/v1/users/{user_id}/api-keys"): SYSTEM | ADMIN,
    ("GET", "/api/v1/users/{user_id}/api-keys"): SYSTEM | ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/api-keys/{key_id}"): SYSTEM | ADMIN,
    ("PUT", "/api/v1/users/{user_id}/memberships/{org_unit_id}"): SYSTEM | ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/memberships/{org_unit_id}"): SYSTEM | ADMIN,
    ("POST", "/api/v1/users/{user_id}/logout-everywhere"): SYSTEM | ADMIN,
    ("POST", "/api/v1/users/{user_id}/deactivate"): SYSTEM | ADMIN,
    ("POST", "/api/v1/users/{user_id}/password-reset"): SYSTEM | ADMIN,
    # directories (OIDC, LDAP) and their group mappings: who administers the tenant
    ("POST", "/api/v1/identity-providers"): SYSTEM | ADMIN,  # the body names tenant A
    ("GET", "/api/v1/identity-providers"): SYSTEM | TENANT_ADMINS,  # each their own
    ("GET", "/api/v1/identity-providers/{provider_id}"): SYSTEM | ADMIN,
    ("PATCH", "/api/v1/identity-providers/{provider_id}"): SYSTEM | ADMIN,
    ("GET", "/api/v1/identity-providers/{provider_id}/mappings"): SYSTEM | ADMIN,
    ("PUT", "/api/v1/identity-providers/{provider_id}/mappings"): SYSTEM | ADMIN,
    # OAuth clients acting as service accounts (client credentials)
    ("GET", "/api/v1/identity-providers/{provider_id}/service-clients"): SYSTEM | ADMIN,
    ("POST", "/api/v1/identity-providers/{provider_id}/service-clients"): SYSTEM | ADMIN,
    (
        "DELETE",
        "/api/v1/identity-providers/{provider_id}/service-clients/{service_client_id}",
    ): SYSTEM | ADMIN,
    # password tokens come from LDAP providers only; the matrix's provider is OpenID
    # Connect, so nobody gets one here (LDAP tokens: tests/identity/test_ldap.py)
    ("POST", "/api/v1/identity-providers/{provider_id}/token"): NOBODY,
    ("GET", "/api/v1/jobs"): SYSTEM,
    ("GET", "/api/v1/jobs/counts"): SYSTEM,
    ("POST", "/api/v1/jobs/{job_id}/retry"): SYSTEM,
    # -- Akten and documents: need-to-know (org unit or single-Akte grant) ---------------
    # lists and search answer everyone who may search at all, filtered to what they may see
    ("GET", "/api/v1/case-files"): SEARCHERS,
    ("GET", "/api/v1/search"): SEARCHERS,
    ("POST", "/api/v1/case-files"): frozenset({"cw_access"}),  # into an own org unit only
    ("GET", "/api/v1/case-files/{case_file_id}"): READERS,
    ("PATCH", "/api/v1/case-files/{case_file_id}"): OWNERS,
    ("GET", "/api/v1/case-files/{case_file_id}/documents"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/documents"): READERS,
    ("GET", "/api/v1/documents/{document_id}"): READERS,
    ("PATCH", "/api/v1/documents/{document_id}"): READERS,
    ("POST", "/api/v1/documents/{document_id}/versions"): OWNERS,
    ("GET", "/api/v1/documents/{document_id}/pages"): READERS,
    ("GET", "/api/v1/documents/{document_id}/archive"): READERS,
    ("GET", "/api/v1/documents/{document_id}/content"): READERS,
    ("GET", "/api/v1/documents/{document_id}/provenance"): READERS,
    # early deletion: who owns the Akte, or the tenant admin (retention is theirs)
    ("DELETE", "/api/v1/documents/{document_id}"): OWNERS | ADMIN,
    # -- Schwärzung and exports: letting an Akte out is the owners' decision -------------
    ("POST", "/api/v1/documents/{document_id}/redactions"): OWNERS,
    ("GET", "/api/v1/documents/{document_id}/redactions"): READERS,
    ("GET", "/api/v1/redactions/{redaction_id}/content"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/redaction-preview"): OWNERS,
    ("POST", "/api/v1/case-files/{case_file_id}/redactions"): OWNERS,
    ("POST", "/api/v1/case-files/{case_file_id}/exports"): OWNERS,
    ("GET", "/api/v1/case-files/{case_file_id}/exports"): READERS,
    ("GET", "/api/v1/exports/{export_id}"): READERS,
    # the export is still queued here: readers get 409 (allowed to try), others 404
    ("GET", "/api/v1/exports/{export_id}/pdf"): READERS,
    ("GET", "/api/v1/exports/{export_id}/package"): READERS,
    # the receiver's 0402: the owner records it (the matrix's export is a court export:
    # the owner gets 409 not_an_abgabe, allowed to try; a borrower 403, others 404)
    ("POST", "/api/v1/exports/{export_id}/confirmation"): OWNERS,
    # Aussonderung to the archive: the tenant's admins (the package is not built: 409)
    ("POST", "/api/v1/aussonderungen"): ADMIN,
    ("GET", "/api/v1/aussonderungen"): LOGGED_IN,  # others get an empty list
    ("GET", "/api/v1/aussonderungen/{aussonderung_id}"): ADMIN,
    ("POST", "/api/v1/aussonderungen/{aussonderung_id}/messages"): ADMIN,
    ("GET", "/api/v1/aussonderungen/{aussonderung_id}/offer"): ADMIN,
    ("GET", "/api/v1/aussonderungen/{aussonderung_id}/package"): ADMIN,
    # Zuständigkeitswechsel of a spare Akte of tenant A to tenant B: the sender's admin
    # requests (again: 409, allowed to try), the receiver's admin accepts; both see it
    ("POST", "/api/v1/transfers"): ADMIN,
    ("GET", "/api/v1/transfers"): TENANT_ADMINS,
    ("GET", "/api/v1/transfers/{transfer_id}"): TENANT_ADMINS,
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): frozenset({"admin_other_tenant"}),
    ("POST", "/api/v1/transfers/{transfer_id}/refuse"): TENANT_ADMINS,
    # the audit trail that travelled: the receiver's admins (not moved yet here: 409,
    # allowed to try); the sender's admin 403 not_receiver, everyone else 404
    ("GET", "/api/v1/transfers/{transfer_id}/audit-trail"): frozenset({"admin_other_tenant"}),
    # -- grants, retention, audit: tenant admins of the own tenant -----------------------
    ("GET", "/api/v1/case-files/{case_file_id}/grants"): ADMIN,
    ("PUT", "/api/v1/case-files/{case_file_id}/grants/{org_unit_id}"): ADMIN,
    ("DELETE", "/api/v1/case-files/{case_file_id}/grants/{org_unit_id}"): ADMIN,
    ("GET", "/api/v1/retention/rules"): TENANT_ADMINS,
    ("PUT", "/api/v1/retention/rules"): TENANT_ADMINS,
    ("DELETE", "/api/v1/retention/rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/retention/holds"): TENANT_ADMINS,
    ("POST", "/api/v1/retention/holds"): ADMIN,  # the hold names an Akte of tenant A
    ("POST", "/api/v1/retention/holds/{hold_id}/release"): ADMIN,
    ("GET", "/api/v1/retention/due"): TENANT_ADMINS,
    ("GET", "/api/v1/audit"): TENANT_ADMINS,  # each their own tenant's log
    ("GET", "/api/v1/audit/export.csv"): TENANT_ADMINS,
    # -- citizen upload codes: issued and revoked by who owns the Akte, listed by readers -
    ("POST", "/api/v1/case-files/{case_file_id}/upload-codes"): OWNERS,
    ("GET", "/api/v1/case-files/{case_file_id}/upload-codes"): READERS,
    ("POST", "/api/v1/upload-codes/{code_id}/revoke"): OWNERS,
    # -- scanning contractors' deliveries: the importer; tenant admins read them ----------
    ("POST", "/api/v1/deliveries"): frozenset({"importer"}),
    ("GET", "/api/v1/deliveries"): frozenset({"importer"}) | TENANT_ADMINS,
    ("GET", "/api/v1/deliveries/{delivery_id}"): frozenset({"importer"}) | ADMIN,
    ("GET", "/api/v1/deliveries/{delivery_id}/progress"): frozenset({"importer"}) | ADMIN,
    ("GET", "/api/v1/deliveries/{delivery_id}/report"): frozenset({"importer"}) | ADMIN,
    ("GET", "/api/v1/deliveries/{delivery_id}/transfervermerk"): frozenset({"importer"}) | ADMIN,
    ("PUT", "/api/v1/deliveries/{delivery_id}/items/{external_id}/file"): frozenset({"importer"}),
    ("POST", "/api/v1/deliveries/{delivery_id}/commit"): frozenset({"importer"}),
    ("POST", "/api/v1/deliveries/check"): frozenset({"importer"}) | TENANT_ADMINS,
    ("GET", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): frozenset({"importer"}),
    ("PATCH", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): frozenset(
        {"importer"}
    ),
    ("PUT", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): frozenset({"importer"}),
    ("DELETE", "/api/v1/deliveries/{delivery_id}/items/{external_id}/upload"): frozenset(
        {"importer"}
    ),
    # tenant options: the importer reads what decides its imports, the admin sets them
    ("GET", "/api/v1/tenants/current/options"): frozenset({"importer"}) | TENANT_ADMINS,
    ("PATCH", "/api/v1/tenants/current/options"): TENANT_ADMINS,
    ("GET", "/api/v1/tenants/{tenant_id}/options"): frozenset({"importer"}) | ADMIN | SYSTEM,
    ("PATCH", "/api/v1/tenants/{tenant_id}/options"): ADMIN | SYSTEM,
    # -- letters (caseworkers) and the print provider's pull API -------------------------
    ("POST", "/api/v1/case-files/{case_file_id}/letters"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/letters/preview"): READERS,
    ("GET", "/api/v1/case-files/{case_file_id}/letters"): READERS,
    ("GET", "/api/v1/letters/{letter_id}"): READERS,
    ("POST", "/api/v1/letters/{letter_id}/cancel"): READERS,
    ("GET", "/api/v1/documents/{document_id}/letter"): READERS,
    # -- casework inside the Akte: reading and annotating are lent, closing is owned -----
    ("GET", "/api/v1/case-files/{case_file_id}/vorgaenge"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/vorgaenge"): READERS,
    ("GET", "/api/v1/vorgaenge/{vorgang_id}"): READERS,
    ("PATCH", "/api/v1/vorgaenge/{vorgang_id}"): READERS,
    ("POST", "/api/v1/vorgaenge/{vorgang_id}/close"): OWNERS,
    ("POST", "/api/v1/vorgaenge/{vorgang_id}/reopen"): OWNERS,
    ("GET", "/api/v1/documents/{document_id}/vorgang"): READERS,
    ("PUT", "/api/v1/documents/{document_id}/vorgang"): READERS,
    # correcting a misfiling takes the document out of the Akte: owners only
    ("POST", "/api/v1/documents/{document_id}/move"): OWNERS,
    ("GET", "/api/v1/case-files/{case_file_id}/notes"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/notes"): READERS,
    ("GET", "/api/v1/notes/{note_id}"): READERS,
    ("GET", "/api/v1/case-files/{case_file_id}/follow-ups"): READERS,
    ("POST", "/api/v1/case-files/{case_file_id}/follow-ups"): READERS,
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): READERS,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/done"): READERS,
    ("POST", "/api/v1/follow-ups/{follow_up_id}/postpone"): READERS,
    # everyone who reads case data has a list, filtered to the Akten they may read
    ("GET", "/api/v1/follow-ups/mine"): SEARCHERS,
    # each tenant's Vorgangsarten: read by its case roles, kept by its admin
    ("GET", "/api/v1/vorgangsarten"): SEARCHERS,
    ("PUT", "/api/v1/vorgangsarten"): TENANT_ADMINS,
    ("GET", "/api/v1/dokumentarten"): SEARCHERS,
    # the Posteingang: everyone with case data has one (filtered); filing is lent work
    ("GET", "/api/v1/inbox"): SEARCHERS,
    ("POST", "/api/v1/inbox/file"): READERS,
    ("POST", "/api/v1/inbox/{document_id}/reject"): READERS,
    ("PUT", "/api/v1/dokumentarten"): TENANT_ADMINS,
    ("GET", "/api/v1/outbox/settings"): TENANT_ADMINS,
    ("PUT", "/api/v1/outbox/settings"): TENANT_ADMINS,
    ("GET", "/api/v1/outbox/batches"): PROVIDER,
    # No sealed batch and no handed-over letter exist in this matrix (that needs the
    # batching schedule): the provider gets 404 like everyone; only it gets past the role
    # check, which ``ROLE_GATE`` below asserts.
    ("GET", "/api/v1/outbox/batches/{batch_id}"): NOBODY,
    ("GET", "/api/v1/outbox/batches/{batch_id}/download"): NOBODY,
    ("POST", "/api/v1/outbox/batches/{batch_id}/ack"): NOBODY,
    ("GET", "/api/v1/outbox/letters/{letter_id}"): NOBODY,
    ("POST", "/api/v1/outbox/letters/{letter_id}/status"): NOBODY,
}

#: Routes whose target does not exist here: only these roles may get a 404, all else 401/403.
ROLE_GATE: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/outbox/batches/{batch_id}"): PROVIDER,
    ("GET", "/api/v1/outbox/batches/{batch_id}/download"): PROVIDER,
    ("POST", "/api/v1/outbox/batches/{batch_id}/ack"): PROVIDER,
    ("GET", "/api/v1/outbox/letters/{letter_id}"): PROVIDER,
    ("POST", "/api/v1/outbox/letters/{letter_id}/status"): PROVIDER,
}

#: Roles of the other tenant, who must get 404 (not 403) wherever their own-tenant
#: counterpart may pass: another tenant's objects do not exist for them.
COUNTERPART = {"cw_other_tenant": "cw_access", "admin_other_tenant": "tenant_admin"}
DENIED = {401, 403, 404, 422}


#: Access rules live above storage: one backend suffices (the embedded one is quicker).
pytestmark = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


@pytest.fixture(scope="module")
def matrix(ctx, client) -> Matrix:
    return build(ctx, client)


def _call(m: Matrix, role: str, method: str, path: str) -> int:
    url, kwargs = request_for(m, method, path)
    fresh = kwargs.pop("fresh", False)
    headers = m.fresh_headers(role) if fresh else dict(m.headers.get(role, {}))
    headers.update(kwargs.pop("headers", {}))
    if role == "citizen":
        headers["Cookie"] = m.citizen_cookie
    return m.client.request(method, url, headers=headers, **kwargs).status_code


def test_every_route_has_a_policy_and_every_policy_a_route(matrix):
    routes = set(api_routes(matrix.client.app))
    if os.environ.get("AKTE_MATRIX_DISCOVER"):
        return
    missing = sorted(routes - set(POLICY))
    assert not missing, f"routes without an entry in POLICY: {missing}"
    stale = sorted(set(POLICY) - routes)
    assert not stale, f"POLICY entries for routes that no longer exist: {stale}"


def matrix_problems(matrix: Matrix, discover: bool = False) -> list[str]:
    """Every route × every role against ``POLICY``; what differs, one line each."""
    problems: list[str] = []
    for method, path in sorted(set(api_routes(matrix.client.app))):
        statuses = {role: _call(matrix, role, method, path) for role in ROLES}
        allowed = frozenset(r for r, s in statuses.items() if s not in DENIED)
        errors = {
            r: s
            for r, s in statuses.items()
            if s >= 500 or (s in {400, 422} and r in POLICY.get((method, path), ()))
        }
        if discover:
            print(f"{method:6} {path:62} {sorted(allowed)}  {statuses}")
            continue
        expected = POLICY.get((method, path))
        if expected is None:
            continue  # reported by the test above
        if errors:
            problems.append(f"{method} {path}: bad request or server error {errors}")
        if allowed != expected:
            problems.append(
                f"{method} {path}: allowed {sorted(allowed)}, expected {sorted(expected)} "
                f"({statuses})"
            )
        gate = ROLE_GATE.get((method, path))
        if gate is not None:
            past_role_check = frozenset(r for r, code in statuses.items() if code == 404)
            if past_role_check != gate:
                problems.append(
                    f"{method} {path}: 404 for {sorted(past_role_check)}, "
                    f"expected {sorted(gate)} ({statuses})"
                )
        for other, own in COUNTERPART.items():
            # an object of two tenants (a transfer) is declared for both: no counterpart
            if "{" in path and own in expected and other not in expected and statuses[other] != 404:
                problems.append(f"{method} {path}: {other} got {statuses[other]}, not 404")
    return problems


def test_role_matrix(matrix):
    problems = matrix_problems(matrix, discover=bool(os.environ.get("AKTE_MATRIX_DISCOVER")))
    assert not problems, "\n".join(problems)


def test_every_use_of_case_data_is_audited(matrix):
    """Each route that reads or writes an Akte or document leaves an audit entry naming the
    caller; checked by calling every such route as the caseworker of the Akte."""
    from sqlalchemy import func, select

    from akte.audit.models import AuditEntry
    from akte.core.database import session_scope

    actor = str(matrix.world.users["caseworker_a1"].id)

    def entries() -> int:
        with session_scope(matrix.ctx.session_factory) as session:
            return session.scalar(select(func.count()).where(AuditEntry.actor_id == actor))

    silent = []
    for method, path in sorted(set(api_routes(matrix.client.app))):
        if not POLICY.get((method, path), NOBODY) >= OWNERS or (method, path) in NOT_CASE_DATA:
            continue
        if path == "/api/v1/letters/{letter_id}/cancel":  # the matrix cancelled the first one
            matrix.ids["letter_id"] = matrix.new_letter()["id"]
        before = entries()
        status = _call(matrix, "cw_access", method, path)
        if status < 400 and entries() == before:
            silent.append(f"{method} {path} ({status})")
    unexpected = sorted(set(silent) - KNOWN_SILENT)
    assert not unexpected, "case data used without an audit entry:\n" + "\n".join(unexpected)


#: Routes every caseworker may use that touch no case data.
NOT_CASE_DATA = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/logout-everywhere"),
    ("GET", "/api/v1/tenants/{tenant_id}/org-units"),
    ("GET", "/api/v1/vorgangsarten"),  # the tenant's list of names, no Akte
    ("GET", "/api/v1/dokumentarten"),  # likewise
    # one's own second factor and browser sessions (changes are audited by their services)
    ("GET", "/api/v1/auth/second-factor"),
    ("POST", "/api/v1/auth/second-factor"),
    ("POST", "/api/v1/auth/second-factor/confirm"),
    ("GET", "/api/v1/auth/sessions"),
    ("DELETE", "/api/v1/auth/sessions"),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"),
}
#: Known gaps in other packages (reported to their owners); remove an entry once fixed.
KNOWN_SILENT: set[str] = set()


def test_lists_and_pages_show_no_foreign_ids(matrix):
    """Lists, lookups and pages of ``/api/v1``, ``/app`` and ``/upload`` as roles that may
    use them: no id of another org unit or tenant in the answer, and the own ones present."""
    from tests.trust.matrix_setup import leak_problems

    problems = leak_problems(matrix)
    assert not problems, "\n".join(problems)
