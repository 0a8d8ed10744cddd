"""Shared steps of the lifecycle tests: register through REST and read the letter that was delivered."""
from __future__ import annotations

import uuid

from tests.mail.smtp import deliver, token_of

PASSWORD = "кремовый-торт-123"


def register(client, services, smtp, email: str | None = None, password: str = PASSWORD):
    """Register over REST, deliver the queued confirmation letter; returns (user json, headers, letter)."""
    email = email or f"chef-{uuid.uuid4().hex[:8]}@example.com"
    r = client.post("/api/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    deliver(services)
    letter = smtp.inbox.to(email)[-1]
    return r.json(), login(client, email, password), letter


def login(client, email: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def last_token(smtp, services, email: str) -> str:
    deliver(services)
    return token_of(smtp.inbox.to(email)[-1])
