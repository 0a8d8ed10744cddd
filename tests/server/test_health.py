"""Health endpoints, and a database outage answering 503 instead of a 500."""
from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import free_port


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}
    body = client.get("/api/health").json()
    assert body["database"] == "ok" and body["storage"] == "ok" and body["queue"] == "ok"
    assert body["status"] == "degraded" and "download_models.py" in body["models"]["hint"]
    assert client.get("/api/docs").status_code == 200
    assert "/api/generations" in client.get("/api/openapi.json").json()["paths"]


def test_database_down_is_503(make_settings):
    from tortodelova.server import build_services, create_app

    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    services = build_services(make_settings(database_url=dead), run_migrations=False)
    with TestClient(create_app(services=services, ui=False)) as client:
        health = client.get("/api/health")
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
        assert "База данных недоступна" in health.json()["detail"]
        r = client.post("/api/auth/register", json={"email": "a@example.com", "password": "password-1"})
        assert r.status_code == 503 and "База данных недоступна" in r.json()["detail"]
        assert client.get("/api/pricing").status_code == 200
        assert client.get("/health").status_code == 200


def test_unknown_routes_and_methods_are_clean(client):
    assert client.get("/api/nothing-here").status_code == 404
    assert client.put("/api/me/deposit", json={}).status_code == 405
    assert client.get("/api/generations/not-a-uuid").status_code == 401
