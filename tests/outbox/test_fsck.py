"""``akte fsck`` knows the blobs of letters and batches, not only those of documents."""

from __future__ import annotations

from akte.core.database import session_scope
from akte.operations.fsck import check
from outbox import batching
from outbox.models import Batch
from tests.outbox.conftest import make_pdf, upload


def test_a_lost_batch_zip_is_reported_and_not_repaired_away(ctx, client, ow):
    world = ow.world
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf())
    assert letter.status_code == 201, letter.text
    (sealed,) = batching.seal(ctx, world.tenant_a.id)
    with session_scope(ctx.session_factory) as session:
        zip_sha = session.get(Batch, sealed.batch_id).zip_sha256
    assert (zip_sha, "outbox_batches.zip_sha256", str(sealed.batch_id)) not in (
        check(ctx, check_index=False, sample=0).missing_elsewhere
    )

    ctx.storage.delete(zip_sha)
    report = check(ctx, check_index=False, sample=0)
    assert (zip_sha, "outbox_batches.zip_sha256", str(sealed.batch_id)) in report.missing_elsewhere
    assert not report.clean
    repaired = check(ctx, repair=True, check_index=False, sample=0, grace_seconds=0)
    assert (zip_sha, "outbox_batches.zip_sha256", str(sealed.batch_id)) in (
        repaired.missing_elsewhere
    )
    # the row still names the ZIP: the provider is told it is gone, not given nothing
    response = client.get(
        f"/api/v1/outbox/batches/{sealed.batch_id}/zip", headers=world.headers["provider_a"]
    )
    assert response.status_code in (404, 409, 410, 503), response.text
    assert response.json()["error"]


def test_a_lost_letter_pdf_is_reported(ctx, client, ow):
    world = ow.world
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf()).json()
    ctx.storage.delete(letter["sha256"])
    missing = check(ctx, check_index=False, sample=0).missing_elsewhere
    assert (letter["sha256"], "outbox_letters.sha256", letter["id"]) in missing
