"""Findings 1–3: a token authenticates only the account it was issued to, and only until that account's sessions
end (password change, block, delete, the operator setting a password); an existing account becomes admin only
explicitly. On SQLite and PostgreSQL."""
from __future__ import annotations

import logging

import pytest

from tests.security.conftest import PASSWORD, login
from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.billing import onboarding
from tortodelova.errors import Conflict


def test_deleted_users_token_never_logs_into_the_next_account(client, register, admin_headers):
    """Finding 1: SQLite handed the deleted (newest) user's id to the next registrant, and the old token's `sub`."""
    victim, victim_headers = register("gone@example.com")
    assert client.delete(f"/api/admin/users/{victim['id']}", headers=admin_headers).status_code == 204
    newcomer, newcomer_headers = register("next@example.com")
    assert newcomer["id"] != victim["id"]  # ids are never reused
    r = client.get("/api/me", headers=victim_headers)
    assert r.status_code == 401, r.text
    assert client.get("/api/me", headers=newcomer_headers).json()["email"] == "next@example.com"


def test_password_change_ends_every_other_session(client, register):
    """Finding 2: after POST /api/me/password the old tokens kept working for 7 days."""
    user, first = register("chef@example.com", PASSWORD)
    second = login(client, "chef@example.com")
    r = client.post("/api/me/password", headers=first,
                    json={"old_password": PASSWORD, "new_password": "новый-пароль-456"})
    assert r.status_code == 204, r.text
    assert client.get("/api/me", headers=second).status_code == 401
    assert client.get("/api/me", headers=first).status_code == 401  # superseded by the fresh token below
    fresh = {"Authorization": f"Bearer {r.headers['X-Access-Token']}"}
    assert client.get("/api/me", headers=fresh).json()["id"] == user["id"]
    client.cookies.clear()
    assert client.post("/api/auth/login", json={"email": "chef@example.com", "password": PASSWORD}
                       ).status_code == 401
    login(client, "chef@example.com", "новый-пароль-456")


def test_block_ends_sessions_for_good(client, register, admin_headers):
    user, headers = register()
    assert client.post(f"/api/admin/users/{user['id']}/block", headers=admin_headers).status_code == 200
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.post(f"/api/admin/users/{user['id']}/unblock", headers=admin_headers).status_code == 200
    assert client.get("/api/me", headers=headers).status_code == 401  # unblocking does not revive old tokens
    login(client, user["email"])


def test_pre_registered_admin_address_is_not_promoted_silently(client, register, services, settings):
    """Finding 3: `create-admin EMAIL` (or TORTODELOVA_ADMIN_EMAIL with no password) promoted whoever registered
    the address first, keeping their password and tokens."""
    squatter, squatter_headers = register("boss@example.com", "чужой-пароль-1")
    with services.session() as session:
        with pytest.raises(Conflict, match="--promote"):
            accounts.ensure_admin(session=session, settings=settings, email="boss@example.com", password=None)
        with pytest.raises(Conflict):
            accounts.ensure_admin(session=session, settings=settings, email="BOSS@example.com",
                                  password="пароль-оператора-1")
        assert session.get(User, squatter["id"]).role == "user"
        # Explicit, with the operator's password: the squatter's password and sessions end.
        accounts.ensure_admin(session=session, settings=settings, email="boss@example.com",
                              password="пароль-оператора-1", promote=True)
        assert session.get(User, squatter["id"]).role == "admin"
    assert client.get("/api/me", headers=squatter_headers).status_code == 401
    assert client.post("/api/auth/login", json={"email": "boss@example.com", "password": "чужой-пароль-1"}
                       ).status_code == 401
    admin = login(client, "boss@example.com", "пароль-оператора-1")
    assert client.get("/api/admin/users", headers=admin).status_code == 200


def test_admin_from_environment_does_not_promote_an_existing_account(make_settings, database_url, caplog):
    from tortodelova.server import build_services

    first = build_services(make_settings(database_url=database_url))
    with first.session() as session:
        onboarding.register(session=session, settings=first.settings, email="root@example.com", password="squat-pass-1")
    first.engine.dispose()
    with caplog.at_level(logging.ERROR):
        services = build_services(make_settings(database_url=database_url, admin_email="root@example.com"))
    assert "--promote" in caplog.text
    with services.session() as session:
        assert accounts.get_by_email(session=session, email="root@example.com").role == "user"
    services.engine.dispose()
    services = build_services(make_settings(database_url=database_url, admin_email="root@example.com",
                                            admin_password="пароль-оператора-1", admin_promote=True))
    with services.session() as session:
        user = accounts.get_by_email(session=session, email="root@example.com")
        assert user.role == "admin"
        accounts.authenticate(session=session, email="root@example.com", password="пароль-оператора-1")
    services.engine.dispose()


def test_hashing_waits_for_a_bounded_slot_then_answers_503(monkeypatch):
    """Finding 9: argon2 for every login at once took every core; now at most `hash_concurrency` hashes run and a
    caller that cannot get a slot in time gets 503 with Retry-After, not a stalled app."""
    from tortodelova.accounts import security
    from tortodelova.errors import Overloaded

    security.configure_hashing(1)
    monkeypatch.setattr(security, "HASH_WAIT_SECONDS", 0.05)
    try:
        assert security._hashing.acquire(timeout=1)  # someone else is hashing
        with pytest.raises(Overloaded) as caught:
            security.verify_password("password-1", security.DUMMY_HASH)
        assert caught.value.status == 503 and caught.value.retry_after > 0
        security._hashing.release()
        assert security.verify_password("not-a-real-password-0", security.DUMMY_HASH)
    finally:
        security.configure_hashing(2)
