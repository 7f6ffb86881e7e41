"""An acknowledgement a provider cannot fake, and no letter printed twice."""

from __future__ import annotations

from akte.core.database import session_scope
from outbox import batching
from outbox import settings as outbox_settings
from tests.outbox.test_lifecycle import BASE, _ack, _create_rendered, _ready, _report, result_sha


def test_ack_needs_a_download_and_the_checksum(ctx, client, ow):
    world = ow.world
    provider = world.headers["provider_a"]
    letter = _create_rendered(client, world.headers["caseworker_a1"], world.case_a1.id)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    url = f"{BASE}/batches/{result.batch_id}/ack"
    sha = result_sha(ctx, result.batch_id)
    never = client.post(url, headers=provider, json={"zip_sha256": sha})
    assert never.status_code == 409 and never.json()["error"] == "not_downloaded"
    client.get(f"{BASE}/batches/{result.batch_id}/download", headers=provider)
    blind = client.post(url, headers=provider, json={})
    assert blind.status_code == 422 and blind.json()["error"] == "checksum_required"
    extra = client.post(url, headers=provider, json={"zip_sha256": sha, "force": True})
    assert extra.status_code == 422
    state = client.get(
        f"/api/v1/letters/{letter['id']}", headers=world.headers["caseworker_a1"]
    ).json()
    assert state["status"] == "batched"  # none of the refused acks handed anything over
    done = client.post(url, headers=provider, json={"zip_sha256": sha.upper()})
    assert done.status_code == 200 and done.json()["status"] == "handed_over"


def test_reported_letters_are_never_offered_again(ctx, client, ow, clock):
    world = ow.world
    provider = world.headers["provider_a"]
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(working_days=[], ack_timeout_seconds=1),
        )
    cw = world.headers["caseworker_a1"]
    printed = _create_rendered(client, cw, world.case_a1.id)
    (reported,) = batching.seal(ctx, world.tenant_a.id)
    _create_rendered(client, cw, world.case_a1.id)
    (silent,) = batching.seal(ctx, world.tenant_a.id)
    for result in (reported, silent):
        client.get(f"{BASE}/batches/{result.batch_id}/download", headers=provider)
    # the provider prints and reports, but its ack gets lost
    assert _report(client, provider, printed["id"], "printed").json()["status"] == "printed"
    clock.advance(1.2)  # past the 1 s acknowledgement timeout
    offered = {b["id"] for b in _ready(client, provider)["items"]}
    assert str(silent.batch_id) in offered  # fetched, never heard of again: offered again
    assert str(reported.batch_id) not in offered  # would be printed twice
    held = client.get(f"{BASE}/batches/{reported.batch_id}", headers=provider).json()
    assert held["status"] == "awaiting_ack"
    assert _ack(client, provider, reported.batch_id).json()["status"] == "handed_over"
