"""Liveness, readiness and the OpenAPI docs."""


def test_healthz_says_alive(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_storage(client):
    body = client.get("/readyz").json()
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/case-files" in paths
    assert "/api/v1/documents/{document_id}/content" in paths
