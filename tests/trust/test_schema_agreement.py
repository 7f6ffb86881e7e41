"""What the published schema allows the server accepts, and what it refuses the server
refuses: the cases the fuzzer found, pinned one by one (the fuzz run in ``fuzzing.py``
covers the whole API, but a regression should name its field)."""

from __future__ import annotations

import re
import uuid

import pytest

from search import service as search_service

pytestmark = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


def _schema(client) -> dict:
    return client.get("/openapi.json").json()


def _body_schema(spec: dict, path: str, method: str) -> dict:
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_a_number_is_no_date(client, world):
    caseworker, admin = world.headers["caseworker_a1"], world.headers["admin_a"]
    assert client.get("/api/v1/follow-ups/mine?until=0", headers=caseworker).status_code == 422
    r = client.get("/api/v1/follow-ups/mine?until=2099-12-31", headers=caseworker)
    assert r.status_code == 200, r.text
    r = client.put("/api/v1/outbox/settings", headers=admin, json={"extra_holidays": [0]})
    assert r.status_code == 422 and "extra_holidays" in r.json()["detail"]
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/follow-ups",
        headers=caseworker,
        json={"due_on": 0, "reason": "Unterlagen"},
    )
    assert r.status_code == 422 and "due_on" in r.json()["detail"]


def test_numbers_and_switches_are_not_taken_from_other_types(client, world):
    admin = world.headers["admin_a"]
    r = client.put(
        "/api/v1/retention/rules", headers=admin, json={"doc_type": "Kontoauszug", "years": False}
    )
    assert r.status_code == 422 and "years" in r.json()["detail"]
    r = client.put(
        "/api/v1/retention/rules", headers=admin, json={"doc_type": "Kontoauszug", "years": "5"}
    )
    assert r.status_code == 422 and "years" in r.json()["detail"]
    r = client.put("/api/v1/outbox/settings", headers=admin, json={"max_pages": "20"})
    assert r.status_code == 422 and "max_pages" in r.json()["detail"]


def test_a_blank_note_is_refused_by_the_schema_as_by_the_server(client, world):
    spec = _schema(client)
    pattern = _body_schema(spec, "/api/v1/case-files/{case_file_id}/notes", "post")["properties"][
        "body"
    ]["pattern"]
    caseworker = world.headers["caseworker_a1"]
    url = f"/api/v1/case-files/{world.case_a1.id}/notes"
    for blank in ("", "   ", "\n\t\r\n"):
        assert not re.search(pattern, blank)
        assert client.post(url, headers=caseworker, json={"body": blank}).status_code == 422
    for bad in ("Vermerk\x00", "Zeile\rohne Paar"):
        assert not re.search(pattern, bad)
        assert client.post(url, headers=caseworker, json={"body": bad}).status_code == 422
    note = "Telefonat mit Frau M.\r\n\tUnterlagen folgen"
    assert re.search(pattern, note)
    r = client.post(url, headers=caseworker, json={"body": note})
    assert r.status_code == 201, r.text


def test_the_search_schema_allows_only_pages_within_the_result_window(client):
    params = {
        p["name"]: p["schema"]
        for p in _schema(client)["paths"]["/api/v1/search"]["get"]["parameters"]
    }
    assert params["page"]["maximum"] * params["size"]["maximum"] <= search_service.MAX_RESULTS
    assert params["page"]["maximum"] == search_service.MAX_PAGE


def _oidc_provider(client, headers) -> str:
    r = client.post(
        "/api/v1/identity-providers",
        headers=headers,
        json={
            "slug": f"idp-{uuid.uuid4().hex[:8]}",
            "name": "Keycloak",
            "kind": "oidc",
            "client_secret": "s3cret",
            "config": {"issuer": "https://idp.example/realms/jc", "client_id": "akte"},
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_identity_provider_settings_follow_their_kind(client, world):
    admin = world.headers["admin_a"]
    r = client.post(
        "/api/v1/identity-providers",
        headers=admin,
        json={
            "slug": "no-secret",
            "name": "Keycloak",
            "kind": "oidc",
            "config": {"issuer": "https://idp.example/realms/jc", "client_id": "akte"},
        },
    )
    assert r.status_code == 422 and "client_secret" in r.json()["detail"]
    provider_id = _oidc_provider(client, admin)
    ldap = {
        "url": "ldaps://dc.example",
        "user_dn_template": "{username}@example.org",
        "group_base": "ou=groups,dc=example",
    }
    r = client.patch(
        f"/api/v1/identity-providers/{provider_id}", headers=admin, json={"config": ldap}
    )
    assert r.status_code == 409 and r.json()["error"] == "config_kind_mismatch"
    r = client.patch(
        f"/api/v1/identity-providers/{provider_id}",
        headers=admin,
        json={"config": {"issuer": "https://idp.example/realms/neu", "client_id": "akte"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["config"]["issuer"] == "https://idp.example/realms/neu"
    assert r.json()["config"]["session_check_seconds"] == 300  # defaults filled in
    r = client.put(
        f"/api/v1/identity-providers/{provider_id}/mappings",
        headers=admin,
        json={"mappings": [{"group": "jc", "org_unit_id": str(uuid.uuid4())}]},
    )
    assert r.status_code == 404 and r.json()["error"] == "unknown_org_unit"
    r = client.put(
        f"/api/v1/identity-providers/{provider_id}/mappings",
        headers=admin,
        json={"mappings": [{"group": "jc", "org_unit_id": str(world.unit_b1.id)}]},
    )
    assert r.status_code == 404  # another tenant's unit does not exist here either


def test_the_sender_country_is_one_of_the_published_codes(client, world):
    admin = world.headers["admin_a"]
    spec = _schema(client)
    sender = spec["components"]["schemas"]["SenderAddress"]["properties"]["country"]
    assert "DE" in sender["enum"] and "de" not in sender["enum"]
    for country, status in (("XX", 422), ("de", 422), ("AT", 200)):
        r = client.put(
            "/api/v1/outbox/settings",
            headers=admin,
            json={"sender_address": {"name_lines": ["Jobcenter"], "country": country}},
        )
        assert r.status_code == status, (country, r.text)
    r = client.put(
        "/api/v1/outbox/settings",
        headers=admin,
        json={"sender_address": {"name_lines": ["  "], "country": "DE"}},
    )
    assert r.status_code == 422


def test_the_options_api_takes_json_types_as_published(client, world):
    """Typed values ("ja", "A, B") are for the web form and the command line only."""
    url = f"/api/v1/tenants/{world.tenant_a.id}/options"
    admin = world.headers["admin_a"]
    for body in (
        {"local_login": "ja"},
        {"import_separator_codes": "PATCHT, TRENN"},
        {"xdomea_version": "2.4"},
        {"aktenzeichen_pattern": "AZ-1234"},
    ):
        r = client.patch(url, headers=admin, json=body)
        assert r.status_code == 422, (body, r.text)
    r = client.patch(
        url,
        headers=admin,
        json={
            "local_login": True,
            "import_separator_codes": ["PATCHT", "TRENN"],
            "aktenzeichen_pattern": "AZ-9999-999999",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["import_separator_codes"] == ["PATCHT", "TRENN"]


def test_every_published_bound_is_a_json_schema_keyword(client):
    """Pydantic publishes the bounds of some validated list items as ``ge``/``le``, which
    JSON Schema ignores: the bound would then hold on the server only."""
    leaked: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number", "string", "array"):
                leaked.extend(
                    f"{where}.{k}"
                    for k in ("ge", "le", "gt", "lt", "min_length", "max_length")
                    if k in node
                )
            for key, value in node.items():
                if key not in ("properties", "example", "examples", "default"):
                    walk(value, f"{where}.{key}")
                elif key == "properties":
                    for name, prop in value.items():
                        walk(prop, f"{where}.{name}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(_schema(client), "")
    assert not leaked, leaked
