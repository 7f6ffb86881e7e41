"""Tenant admins follow scanning deliveries (progress and report); caseworkers cannot."""

from __future__ import annotations

from akte.core.database import session_scope
from ingest.deliveries.models import Delivery, DeliveryItem
from tests.builders import unique
from tests.web.conftest import browser, login


def test_admins_see_delivery_progress_and_rejections(ctx, world):
    external_id = unique("L")
    with session_scope(ctx.session_factory) as session:
        delivery = Delivery(
            tenant_id=world.tenant_a.id,
            external_id=external_id,
            channel="api",
            status="committed",
            manifest_sha256="0" * 64,
            manifest_format="csv",
            transfervermerk_sha256="1" * 64,
            transfervermerk_filename="transfervermerk.json",
            item_count=2,
        )
        session.add(delivery)
        session.flush()
        session.add_all(
            [
                DeliveryItem(
                    delivery_id=delivery.id, key="a.pdf", filename="a.pdf", outcome="pending"
                ),
                DeliveryItem(
                    delivery_id=delivery.id,
                    key="b.pdf",
                    filename="b.pdf",
                    outcome="rejected",
                    reason_code="sha256_mismatch",
                    reason="SHA-256 <stimmt nicht>",
                ),
            ]
        )
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    listing = admin.get("/app/imports")
    assert listing.status_code == 200
    assert external_id in listing.text and "1 / 2" in listing.text
    assert 'href="/app/imports"' in admin.get("/app").text  # in the navigation
    report = admin.get(f"/app/imports/{delivery.id}")
    assert report.status_code == 200
    assert "SHA-256 &lt;stimmt nicht&gt;" in report.text and "pending" in report.text

    caseworker = browser(ctx)
    login(caseworker, world.users["caseworker_a1"].username)
    assert caseworker.get("/app/imports").status_code == 403
    assert 'href="/app/imports"' not in caseworker.get("/app").text
    other_tenant = browser(ctx)
    login(other_tenant, world.users["caseworker_b"].username)
    assert other_tenant.get(f"/app/imports/{delivery.id}").status_code == 403
