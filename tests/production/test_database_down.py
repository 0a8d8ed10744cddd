"""PostgreSQL down: the app answers 503 with a clear message (never a 500 or a hang) and recovers by itself.

The machine's PostgreSQL is shared, so this test stops and starts a private throwaway cluster instead."""
from __future__ import annotations

import os

import pytest

from tests.production.stack import PrivatePostgres

pytestmark = pytest.mark.production

DB_DOWN = "База данных недоступна"


@pytest.fixture(scope="module")
def private_pg():
    pg = PrivatePostgres()
    reason = pg.available
    if reason:
        print(f"\nSKIP: {reason}")
        if os.environ.get("TORTODELOVA_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.destroy()


def test_database_down_answers_503_and_recovers(private_pg, make_stack):
    stack = make_stack(private_pg.url)
    stack.start_app()
    user, headers = stack.user()
    assert stack.client.get("/api/health").json()["database"] == "ok"

    try:
        private_pg.stop()
        health = stack.client.get("/api/health")
        assert health.status_code == 503, health.text
        assert health.json()["database"] == "unavailable" and DB_DOWN in health.json()["detail"]
        for method, path, body in (("GET", "/api/me", None), ("GET", "/api/me/balance", None),
                                   ("GET", "/api/generations", None),
                                   ("POST", "/api/generations", {"prompt": "торт", "quality": "fast"}),
                                   ("POST", "/api/me/deposit", {"amount": 10})):
            r = stack.client.request(method, path, headers=headers, json=body)
            assert r.status_code == 503 and DB_DOWN in r.json()["detail"], (path, r.status_code, r.text)
        r = stack.client.post("/api/auth/login", json={"email": user["email"], "password": "кремовый-торт-123"})
        assert r.status_code == 503 and DB_DOWN in r.json()["detail"], r.text
        assert stack.client.get("/health").status_code == 200  # the process itself is up
    finally:
        private_pg.start()

    # Back: the pool drops its dead connections (pre-ping), the very next requests succeed.
    health = stack.client.get("/api/health")
    assert health.status_code == 200 and health.json()["database"] == "ok", health.text
    assert stack.client.get("/api/me", headers=headers).json()["balance"] == 30
    r = stack.client.post("/api/me/deposit", json={"amount": 10}, headers=headers)
    assert r.status_code == 200 and r.json()["balance"] == 40, r.text
    stack.assert_ledgers_agree()
