"""Finding 9 at the service and REST edge, on SQLite and PostgreSQL, with the counters in memory and in Redis
(shared by every app process of a deployment, separate between deployments)."""
from __future__ import annotations

import uuid

import pytest

from tortodelova.accounts import service as accounts
from tortodelova.billing import onboarding
from tortodelova.errors import InvalidCredentials, RateLimited


def test_rest_login_answers_429_with_retry_after(make_settings, database_url):
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=database_url, login_account_limit="3 per 15 minutes"))
    with TestClient(create_app(services=services, ui=False)) as client:
        assert client.post("/api/auth/register", json={"email": "v@example.com", "password": "password-1"}
                           ).status_code == 201
        codes = [client.post("/api/auth/login", data={"username": "v@example.com", "password": "nope-nope"}
                             ).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429], codes
        r = client.post("/api/auth/login", json={"email": "V@Example.com", "password": "password-1"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        # Another account from the same address still signs in (the client limit is higher).
        assert client.post("/api/auth/register", json={"email": "w@example.com", "password": "password-1"}
                           ).status_code == 201
        assert client.post("/api/auth/login", json={"email": "w@example.com", "password": "password-1"}
                           ).status_code == 200
    services.engine.dispose()


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_failures_are_shared_within_a_deployment_and_not_across(store, make_settings, services, request):
    redis_url = request.getfixturevalue("redis_server") if store == "redis" else None
    queue = f"q-{uuid.uuid4().hex[:8]}"
    one = make_settings(redis_url=redis_url, queue_name=queue, login_account_limit="2 per 15 minutes",
                        login_client_limit="100 per 15 minutes")
    other_process = make_settings(redis_url=redis_url, queue_name=queue, login_account_limit="2 per 15 minutes")
    other_deployment = make_settings(redis_url=redis_url, queue_name=f"{queue}-b",
                                     login_account_limit="2 per 15 minutes")
    with services.session() as session:
        onboarding.register(session=session, settings=one, email="s@example.com", password="password-1")
        for _ in range(2):
            with pytest.raises(InvalidCredentials):
                accounts.login(session=session, settings=one, email="s@example.com", password="wrong-pass",
                               client="203.0.113.9")
        with pytest.raises(RateLimited):
            accounts.login(session=session, settings=other_process, email="s@example.com", password="password-1",
                           client="198.51.100.1")
        assert accounts.login(session=session, settings=other_deployment, email="s@example.com",
                              password="password-1").access_token
