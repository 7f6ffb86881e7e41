"""The apps of one process share their routes (:func:`akte.app.create_app`), built once:
the second app must still answer from its own database, never from the first one's."""

from __future__ import annotations

from pathlib import Path

from akte.app import create_app
from akte.core.context import AppContext
from tests.builders import make_world
from tests.client import TestClient
from tests.conftest import embedded_settings
from tests.infra.templates import migrated_sqlite


def _context(folder: Path) -> AppContext:
    migrated_sqlite(folder)
    return AppContext.from_settings(embedded_settings(folder))


def test_two_apps_share_their_routes_but_each_answers_from_its_own_database(
    tmp_path: Path,
) -> None:
    first, second = _context(tmp_path / "first"), _context(tmp_path / "second")
    try:
        world = make_world(first)
        headers = world.headers["caseworker_a1"]
        apps = [create_app(ctx=context, start_worker=False) for context in (first, second)]
        with TestClient(apps[0]) as one, TestClient(apps[1]) as other:
            listed = one.get("/api/v1/case-files", headers=headers)
            assert listed.status_code == 200
            assert str(world.case_a1.id) in listed.text
            # the same token on the other app: its database has no such user
            refused = other.get("/api/v1/case-files", headers=headers)
            assert refused.status_code == 401, refused.text
            assert str(world.case_a1.id) not in refused.text
            detail = f"/api/v1/case-files/{world.case_a1.id}"
            assert one.get(detail, headers=headers).status_code == 200
            assert other.get(detail, headers=headers).status_code == 401
        shared = {id(route) for route in apps[0].router.routes} & {
            id(route) for route in apps[1].router.routes
        }
        assert len(shared) >= 10, "the feature routers are included once per process"
    finally:
        first.close()
        second.close()
