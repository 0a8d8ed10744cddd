"""Accounts through the REST API, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.billing import onboarding
from tortodelova.billing.models import Transaction
from tortodelova.errors import Conflict

LONG_CYRILLIC = "ПарольДляКондитерскойМастикаБезеГанашЗеркальнаяГлазурь"  # 54 chars, 108 bytes in UTF-8


def test_register_login_me_with_normalised_email_and_long_cyrillic_password(client, settings):
    assert len(LONG_CYRILLIC.encode()) > 72
    r = client.post("/api/auth/register", json={"email": "  Masha.Tort@Example.COM ", "password": LONG_CYRILLIC})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == "masha.tort@example.com"
    assert user["role"] == "user" and user["balance"] == settings.welcome_credits
    assert {"id", "email", "role", "balance", "created_at"} <= user.keys()

    form = client.post("/api/auth/login", data={"username": "MASHA.TORT@example.com ", "password": LONG_CYRILLIC})
    assert form.status_code == 200, form.text
    body = form.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    client.cookies.clear()
    as_json = client.post("/api/auth/login", json={"email": "masha.tort@example.com", "password": LONG_CYRILLIC})
    assert as_json.status_code == 200
    # The password is not cut at 72 bytes (bcrypt would accept this prefix).
    prefix = LONG_CYRILLIC.encode()[:72].decode(errors="ignore")
    client.cookies.clear()
    assert client.post("/api/auth/login", json={"email": "masha.tort@example.com", "password": prefix}
                       ).status_code == 401

    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == "masha.tort@example.com"


@pytest.mark.parametrize("email,password,fragment", [
    ("", "password-ok", "почт"),
    ("not-an-email", "password-ok", "почт"),
    ("a@b", "password-ok", "почт"),
    ("chef@example.com", "short", "Пароль"),
    ("chef@example.com", "x" * 129, "Пароль"),
])
def test_register_rejects_bad_input_and_writes_nothing(client, services, email, password, fragment):
    r = client.post("/api/auth/register", json={"email": email, "password": password})
    assert r.status_code == 422
    assert fragment in r.json()["detail"]
    with services.session() as session:
        assert session.query(User).count() == 0
        assert session.query(Transaction).count() == 0


def test_register_rejects_missing_fields_and_bad_json(client):
    assert client.post("/api/auth/register", json={"email": "x@example.com"}).status_code == 422
    r = client.post("/api/auth/register", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


def test_duplicate_email_in_another_case_is_409(client, services):
    assert client.post("/api/auth/register", json={"email": "anna@example.com", "password": "password-1"}
                       ).status_code == 201
    r = client.post("/api/auth/register", json={"email": "ANNA@Example.com", "password": "password-2"})
    assert r.status_code == 409
    assert "уже зарегистрирован" in r.json()["detail"]
    with services.session() as session:
        assert session.query(User).count() == 1


def test_wrong_password_and_unknown_email_are_401(client, register):
    register("olga@example.com", "правильный-пароль")
    assert client.post("/api/auth/login", json={"email": "olga@example.com", "password": "неправильный"}
                       ).status_code == 401
    assert client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
                       ).status_code == 401
    assert client.post("/api/auth/login", json={"email": "", "password": ""}).status_code == 422


def _token(settings, **claims):
    now = datetime.now(timezone.utc)
    base = {"sub": "1", "role": "user", "iat": now, "exp": now + timedelta(hours=1), "jti": uuid.uuid4().hex}
    base.update(claims)
    return base


def _session_key(services, user_id) -> str:
    with services.session() as session:
        return session.get(User, user_id).session_key


def test_bad_tokens_are_refused(client, register, settings, services):
    user, _headers = register()
    secret = settings.resolved_jwt_secret()
    sub = str(user["id"])
    sk = _session_key(services, user["id"])
    forged = {
        "missing": None,
        "malformed": "not.a.jwt",
        "garbage": "Bearer-garbage",
        "expired": jwt.encode(_token(settings, sub=sub, exp=datetime.now(timezone.utc) - timedelta(minutes=1)),
                              secret, algorithm="HS256"),
        "wrong_signature": jwt.encode(_token(settings, sub=sub), "another-secret-" * 4, algorithm="HS256"),
        "alg_none": jwt.encode(_token(settings, sub=sub), None, algorithm="none"),
        "no_sub": jwt.encode({k: v for k, v in _token(settings).items() if k != "sub"}, secret, algorithm="HS256"),
        "unknown_user": jwt.encode(_token(settings, sub="999999"), secret, algorithm="HS256"),
        "non_numeric_sub": jwt.encode(_token(settings, sub="admin"), secret, algorithm="HS256"),
        "no_session_key": jwt.encode(_token(settings, sub=sub), secret, algorithm="HS256"),
        "wrong_session_key": jwt.encode(_token(settings, sub=sub, sk="0" * 32), secret, algorithm="HS256"),
        "superscript_sub": jwt.encode(_token(settings, sub="²", sk=sk), secret, algorithm="HS256"),
        "huge_sub": jwt.encode(_token(settings, sub="9" * 40, sk=sk), secret, algorithm="HS256"),
    }
    for name, token in forged.items():
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        r = client.get("/api/me", headers=headers)
        assert r.status_code == 401, name
        assert r.json()["detail"], name
    good = jwt.encode(_token(settings, sub=sub, sk=sk), secret, algorithm="HS256")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_token_role_claim_is_not_trusted(client, register, settings, services):
    """A user who forges role=admin with a valid signature still is no admin: the role comes from the database."""
    user, _ = register()
    token = jwt.encode(_token(settings, sub=str(user["id"]), role="admin", sk=_session_key(services, user["id"])),
                       settings.resolved_jwt_secret(),
                       algorithm="HS256")
    assert client.get("/api/admin/users", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_blocked_user_cannot_log_in_and_token_stops_working(client, register, services):
    user, headers = register("blocked@example.com", "password-123")
    with services.session() as session:
        session.get(User, user["id"]).is_active = False
        session.commit()
    assert client.get("/api/me", headers=headers).status_code == 401
    r = client.post("/api/auth/login", json={"email": "blocked@example.com", "password": "password-123"})
    assert r.status_code == 401 and "заблокирован" in r.json()["detail"]


def test_password_change(client, register):
    _, headers = register("pw@example.com", "old-password-1")
    r = client.post("/api/me/password", json={"old_password": "wrong-one", "new_password": "new-password-1"},
                    headers=headers)
    assert r.status_code == 422
    r = client.post("/api/me/password", json={"old_password": "old-password-1", "new_password": "short"},
                    headers=headers)
    assert r.status_code == 422
    r = client.post("/api/me/password", json={"old_password": "old-password-1", "new_password": "new-password-1"},
                    headers=headers)
    assert r.status_code == 204
    assert client.post("/api/auth/login", json={"email": "pw@example.com", "password": "old-password-1"}
                       ).status_code == 401
    assert client.post("/api/auth/login", json={"email": "pw@example.com", "password": "new-password-1"}
                       ).status_code == 200


def test_ensure_admin_creates_then_promotes(services, settings):
    with services.session() as session:
        admin = accounts.ensure_admin(session=session, settings=settings, email="Boss@Example.com",
                                      password="admin-password")
        assert admin.role == "admin" and admin.email == "boss@example.com"
        user = onboarding.register(session=session, settings=settings, email="cook@example.com", password="cook-pass1")
        with pytest.raises(Conflict, match="--promote"):  # an existing account is promoted only explicitly
            accounts.ensure_admin(session=session, settings=settings, email="COOK@example.com", password=None)
        promoted = accounts.ensure_admin(session=session, settings=settings, email="COOK@example.com", password=None,
                                         promote=True)
        assert promoted.id == user.id and promoted.role == "admin"


def test_admin_from_environment_at_start(make_settings, database_url):
    from tortodelova.server import build_services

    settings = make_settings(database_url=database_url, admin_email="root@example.com",
                             admin_password="root-password-1")
    services = build_services(settings)
    with services.session() as session:
        admin = accounts.get_by_email(session=session, email="root@example.com")
        assert admin is not None and admin.role == "admin"
    build_services(settings)  # a second start keeps one admin
    with services.session() as session:
        assert session.query(User).filter(User.role == "admin").count() == 1
    services.engine.dispose()


def test_production_refuses_short_secret():
    from pydantic import ValidationError

    from tortodelova.config import Settings

    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret="short")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret=None)
    assert Settings(env="production", jwt_secret="x" * 32, public_url="https://torty.example.ru").is_production


def test_embedded_secret_is_generated_once_and_kept(tmp_path):
    from tortodelova.config import Settings

    first = Settings(data_dir=tmp_path).resolved_jwt_secret()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).resolved_jwt_secret() == first


def test_logout_ends_the_session_on_the_server(client, register):
    _, headers = register("out@example.com", "password-123")
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/me", headers=headers)
    assert r.status_code == 401 and "Сессия завершена" in r.json()["detail"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 204  # twice is fine
    # Another session of the same user is not affected.
    token = client.post("/api/auth/login", json={"email": "out@example.com", "password": "password-123"}
                        ).json()["access_token"]
    client.cookies.clear()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
