"""Schemathesis with *all* its checks on the login and audit endpoints, in every role.

Beyond "no 5xx" and "the answer matches the schema", schemathesis also checks that a
schema-valid request is not refused (ST202), that an invalid one is, that documented
status codes and headers are the ones sent, and more. Each role gets
:data:`EXAMPLES` generated requests per operation; "log out everywhere" runs last (it ends
the role's token). Embedded backend only: the logic under test is the same on both.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.migrations import upgrade
from tests.builders import World, make_world
from tests.conftest import embedded_settings

EXAMPLES = 15
PREFIXES = ("/api/v1/auth", "/api/v1/audit")
ROLES = ["caseworker_a1", "admin_a", "system_admin", "provider_a"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory) -> Iterator[tuple[object, World]]:
    settings_ = embedded_settings(tmp_path_factory.mktemp("fuzz-trust"))
    upgrade(settings_.effective_database_url)
    ctx = AppContext.from_settings(settings_)
    world = make_world(ctx)
    app = create_app(ctx=ctx, start_worker=False)
    with TestClient(app):
        yield app, world
    ctx.close()


def _fuzz(operation, headers: dict[str, str], failures: list[str], statuses: Counter) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=operation.as_strategy())
    def run(case) -> None:
        try:
            response = case.call_and_validate(headers=headers)  # every check schemathesis has
            statuses[response.status_code] += 1
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{type(exc).__name__}: {str(exc)[:400]}")
            raise

    with contextlib.suppress(Exception, BaseExceptionGroup):  # recorded above
        run()


@pytest.mark.parametrize("role", ROLES)
def test_auth_and_audit_endpoints_conform_to_their_schema(fuzz_app, role):
    app, world = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = sorted((o for o in operations if o.path.startswith(PREFIXES)),
                        key=lambda o: o.path.endswith("/logout-everywhere"))
    assert len(operations) == 6, [o.path for o in operations]
    failures: list[str] = []
    statuses: Counter = Counter()
    for operation in operations:
        _fuzz(operation, world.headers[role], failures, statuses)
    assert not failures, "\n".join(sorted(set(failures)))
    print(f"{role}: {sum(statuses.values())} requests, statuses {dict(statuses)}")
    assert sum(statuses.values()) >= 3 * len(operations)
