"""Schemathesis, with every check it has, against every operation of the published schema.

The schemathesis command line runs its examples, coverage and fuzzing phases against a
real server on loopback (uvicorn over an embedded data folder) as a caseworker, a tenant
admin, a system admin and the print provider. Beyond "no 5xx" and "the answer matches
the schema", its checks refuse undocumented status codes (ST103), a 405 whose ``Allow``
does not list the path's methods (ST205) and more. The run must report nothing: where it
did, the schema or the behaviour was changed until they agree. That includes
"a schema-valid request is accepted" (no 422 for data the schema allows: a reference to a
thing that does not exist is a 404 or 409) and "a schema-violating request is refused".
The one exception, named with its reason, is in ``schemathesis.toml`` next to this file:
letters and delivery manifests, whose file content the server checks.

Bounded and reproducible: :data:`EXAMPLES` generated cases per operation and phase,
deterministic generation (the same cases every run). ``POST /auth/logout-everywhere`` and
``POST /users/{user_id}/logout-everywhere`` run last, on their own: they end the role's
token (schemathesis finds the caller's own id), and the test checks the token lived
through everything before.

One test module per role (``test_fuzz_<role>.py``): each is minutes long, and the
parallel run hands out whole modules, so four modules spread over the workers where one
module with four roles kept a single worker busy for twenty minutes.

The coverage phase (boundary values and every way to break each parameter: four fifths
of a role's run, 27 of 47 s for the caseworker) runs for each operation once, under one
role that may use it (:data:`tests.trust.test_role_matrix.POLICY`; see
:func:`coverage_role`). A role that may not gets the same 401, 403 or 404 for every one of
those cases, which its examples and fuzzing phases still show. Where several roles may use
an operation, its broken parameters meet the same request validation under each of them;
what differs by role is what the service does with a valid request, and the examples and
fuzzing phases still send valid requests to the operation under every role. Before this
split the coverage phase ran under every role that may use the operation: 258 runs of an
operation's coverage phase where 149 operations have one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.builders import World
from tests.trust.test_role_matrix import POLICY

EXAMPLES = 2
#: ending the caller's own tokens: ``/auth/logout-everywhere`` and, with the caller's id,
#: ``/users/{user_id}/logout-everywhere`` (schemathesis finds that id)
LOGOUT = r"^/api/v1/(auth|users/\{user_id\})/logout-everywhere$"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
ROOT = Path(__file__).resolve().parents[2]
#: The one named exception (content checks no schema states) and its reason.
CONFIG = Path(__file__).with_name("schemathesis.toml")
#: Each fuzzed role as the role of the access matrix it is (``tests/trust/matrix_setup.py``):
#: ``caseworker_a1`` works in the org unit of Akte A1, as ``cw_access`` does.
MATRIX_ROLE = {
    "caseworker_a1": "cw_access",
    "admin_a": "tenant_admin",
    "system_admin": "system_admin",
    "provider_a": "provider",
}


def coverage_role() -> dict[str, str]:
    """Each operation (``"GET /api/v1/…"``) and the one fuzzed role whose run gives it the
    coverage phase.

    An operation one fuzzed role may use is that role's. One that several may use (a
    tenant admin's and a system admin's, say), or none may, goes to the role with the
    fewest so far among those, so the four runs stay about as long as each other: the
    parallel run hands each to a worker of its own. The order is fixed (sorted), so the
    same role covers the same operation in every run.
    """
    fuzzed = {matrix: role for role, matrix in MATRIX_ROLE.items()}
    candidates = {
        f"{method} {path}": sorted(fuzzed[m] for m in allowed if m in fuzzed) or sorted(MATRIX_ROLE)
        for (method, path), allowed in POLICY.items()
    }
    load = dict.fromkeys(MATRIX_ROLE, 0)
    chosen: dict[str, str] = {}
    for operation, roles in sorted(candidates.items(), key=lambda item: (len(item[1]), item[0])):
        role = min(roles, key=lambda name: (load[name], name))
        chosen[operation] = role
        load[role] += 1
    return chosen


def uncovered_operations(role: str) -> list[str]:
    """The operations whose coverage phase another role's run has (:func:`coverage_role`)."""
    return sorted(operation for operation, owner in coverage_role().items() if owner != role)


def config_for(role: str, folder: Path) -> Path:
    """:data:`CONFIG` and no coverage phase for the operations another role covers."""
    names = "|".join(re.escape(name) for name in uncovered_operations(role))
    text = CONFIG.read_text(encoding="utf-8")
    if names:
        text += (
            f"\n[[operations]]\ninclude-name-regex = '^({names})$'\n"
            "phases.coverage.enabled = false\n"
        )
    path = folder / f"schemathesis-{role}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _schemathesis(
    url: str, headers: dict[str, str], config: Path, *selection: str
) -> tuple[int, str]:
    header: list[str] = []
    for name, value in headers.items():
        header += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as reports:
        command = [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            *header,
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES),
            "--generation-deterministic",
            "--workers",
            "1",
            "--no-color",
            "--wait-for-schema",
            "60",
            "--report-dir",
            reports,
            *selection,
        ]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.trust.fuzz_hooks",
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=1800, check=False, env=env, cwd=reports
        )  # its cache stays there
    return done.returncode, done.stdout + done.stderr


def check_role(url: str, world: World, role: str) -> None:
    """The whole API through schemathesis as ``role``; then the logout operations."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="akte-fuzz-") as folder:
        config = config_for(role, Path(folder))
        code, output = _schemathesis(
            url, world.headers[role], config, "--exclude-path-regex", LOGOUT
        )
        assert code == 0, output[-12000:]
        tested = re.search(r"Tested: (\d+)", output)
        assert tested and int(tested.group(1)) > 70, output[-3000:]  # the whole API
        # the role's token lived through the run: otherwise the operations after its end
        # were only tested for "401 without a valid token"
        assert (
            httpx.get(f"{url}/api/v1/auth/me", headers=world.headers[role], timeout=30).status_code
            == 200
        )
        code, output = _schemathesis(
            url, world.headers[role], config, "--include-path-regex", LOGOUT
        )
        assert code == 0, output[-6000:]
    print(f"{role}: schemathesis clean in {time.monotonic() - started:.0f} s")
