"""Who sees what: providers only their tenants' outbox, caseworkers only readable Akten."""

from __future__ import annotations

import uuid

from akte.core.database import session_scope
from outbox import batching
from outbox.models import ProviderAssignment
from tests.outbox.conftest import make_pdf, upload

BASE = "/api/v1/outbox"


def test_provider_of_another_tenant_gets_404(ctx, client, ow):
    world = ow.world
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf()).json()
    (result,) = batching.seal(ctx, world.tenant_a.id)
    other = ow.provider_b
    listing = client.get(f"{BASE}/batches", params={"status": "ready"}, headers=other).json()
    assert str(result.batch_id) not in {b["id"] for b in listing["items"]}
    for path in (f"{BASE}/batches/{result.batch_id}", f"{BASE}/batches/{result.batch_id}/download"):
        assert client.get(path, headers=other).status_code == 404
    assert client.post(f"{BASE}/batches/{result.batch_id}/ack", headers=other).status_code == 404
    report = client.post(
        f"{BASE}/letters/{letter['id']}/status", headers=other, data={"status": "printed"}
    )
    assert report.status_code == 404
    assert client.get(f"{BASE}/letters/{letter['id']}", headers=other).status_code == 404
    with session_scope(ctx.session_factory) as session:  # once assigned, B's provider serves A
        session.add(
            ProviderAssignment(provider_id=_user_id(client, other), tenant_id=world.tenant_a.id)
        )
    assert client.get(f"{BASE}/batches/{result.batch_id}", headers=other).status_code == 200


def _user_id(client, headers):
    return uuid.UUID(client.get("/api/v1/auth/me", headers=headers).json()["id"])


def test_provider_reads_no_case_data_and_staff_no_batches(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf()).json()
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=provider).status_code == 403
    assert (
        client.get(f"/api/v1/case-files/{world.case_a1.id}/letters", headers=provider).status_code
        == 403
    )
    assert client.get(f"/api/v1/letters/{letter['id']}", headers=provider).status_code == 403
    assert client.get(
        f"/api/v1/documents/{letter['document_id']}", headers=provider
    ).status_code in {403, 404}
    assert client.get(
        "/api/v1/search", params={"q": "Mustermann"}, headers=provider
    ).status_code in {403, 404}
    for who in ("caseworker_a1", "admin_a"):
        response = client.get(f"{BASE}/batches", headers=world.headers[who])
        assert response.status_code == 403


def test_caseworker_sees_only_letters_of_readable_akten(client, ow):
    world = ow.world
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf()).json()
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        headers = world.headers[who]
        assert client.get(f"/api/v1/letters/{letter['id']}", headers=headers).status_code == 404
        assert (
            client.get(
                f"/api/v1/case-files/{world.case_a1.id}/letters", headers=headers
            ).status_code
            == 404
        )
        assert (
            client.post(f"/api/v1/letters/{letter['id']}/cancel", headers=headers).status_code
            == 404
        )
        created = upload(client, headers, world.case_a1.id, make_pdf())
        assert created.status_code == 404
