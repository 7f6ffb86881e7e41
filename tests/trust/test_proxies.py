"""Forwarded headers count only from trusted proxies; outside links come from
``AKTE_PUBLIC_URL``, never from the Host header."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from akte.app import create_app
from akte.audit.models import AuditEntry
from akte.auth import throttle
from akte.core.database import session_scope
from akte.core.settings import Settings
from tests.client import TestClient
from tests.web.conftest import csrf_of

PUBLIC = "https://akte.example.org"


def _client(ctx, peer: str, **settings: object) -> TestClient:
    """The app as a given peer address sees it, under these settings."""
    changed = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=settings))
    return TestClient(
        create_app(ctx=changed, start_worker=False), client=(peer, 40000), follow_redirects=False
    )


def _refused_login_ip(ctx, client: TestClient, headers: dict[str, str]) -> str:
    """Fail a login and return the client address the audit entry names."""
    name = f"probe-{uuid.uuid4().hex}"
    r = client.post("/api/v1/auth/token", data={"username": name, "password": "x"}, headers=headers)
    assert r.status_code == 401
    with session_scope(ctx.session_factory) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "api.login", AuditEntry.outcome == "refused"
            )
        )
        return next(e.ip for e in entries if e.detail.get("username") == name)


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(ctx):
    peer = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    with _client(ctx, peer) as client:
        assert _refused_login_ip(ctx, client, {"X-Forwarded-For": "203.0.113.9"}) == peer
        # rotating X-Forwarded-For does not escape the per-address back-off
        for i in range(throttle.ADDRESS_FREE - 1):
            r = client.post(
                "/api/v1/auth/token",
                data={"username": f"spray-{uuid.uuid4().hex}", "password": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            )
            assert r.status_code == 401
        r = client.post(
            "/api/v1/auth/token",
            data={"username": "spray-last", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.250"},
        )
        assert r.status_code == 429
        page = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in page.headers["set-cookie"]


def test_forwarded_headers_from_a_trusted_proxy_name_the_client(ctx):
    with _client(ctx, "10.9.1.2", trusted_proxies="10.9.0.0/16, 192.0.2.1") as client:
        # the proxy appends the peer it saw; what the client wrote before that is ignored
        headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.9.3.4"}
        assert _refused_login_ip(ctx, client, headers) == "198.51.100.7"
        assert _refused_login_ip(ctx, client, {}) == "10.9.1.2"
        page = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in page.headers["set-cookie"]
    with _client(ctx, "10.10.0.1", trusted_proxies="10.9.0.0/16") as outside:
        assert _refused_login_ip(ctx, outside, {"X-Forwarded-For": "198.51.100.7"}) == "10.10.0.1"


def test_upload_code_links_come_from_the_public_url_not_the_host(ctx, world):
    with _client(ctx, "10.11.0.1", public_url=PUBLIC) as client:
        r = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/upload-codes",
            headers={
                **world.headers["caseworker_a1"],
                "Host": "evil.example",
                "X-Forwarded-Host": "evil.example",
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["upload_url"] == f"{PUBLIC}/upload#code={body['code']}"
        from tests.web.conftest import login

        login(client, world.users["caseworker_a1"].username)
        case_url = f"/app/akten/{world.case_a1.id}"
        token = csrf_of(client.get(case_url).text)
        page = client.post(
            f"{case_url}/upload-codes",
            data={"valid_days": "2", "csrf_token": token},
            headers={"Host": "evil.example"},
        )
        assert page.status_code == 201
        assert f'href="{PUBLIC}/upload#code=' in page.text
        assert "evil.example" not in page.text


def test_production_refuses_to_start_without_a_public_url(tmp_path):
    secrets = {"env": "production", "secret_key": "k" * 40, "data_dir": tmp_path}
    with pytest.raises(ValidationError, match="AKTE_PUBLIC_URL"):
        Settings(**secrets)
    with pytest.raises(ValidationError, match="AKTE_PUBLIC_URL"):
        Settings(**secrets, public_url="akte.example.org")
    assert Settings(**secrets, public_url=PUBLIC + "/").effective_public_url == PUBLIC
    with pytest.raises(ValidationError, match="AKTE_TRUSTED_PROXIES"):
        Settings(env="test", data_dir=tmp_path, trusted_proxies="10.0.0.0/8, proxy.local")
