"""Confirmed addresses: the letter sent at registration, the bonus credited exactly once on confirmation (parallel
clicks on PostgreSQL included), the demo claim and the admin promotion refused before it, the resend throttled."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.lifecycle.conftest import both_databases
from tests.lifecycle.helpers import last_token, register
from tests.mail.smtp import deliver, link_of, text_of, token_of
from tortodelova.accounts import recovery
from tortodelova.billing.models import Transaction
from tortodelova.errors import Conflict


def bonus_rows(services, user_id: int) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Transaction)
                              .where(Transaction.user_id == user_id, Transaction.kind == "bonus"))


def test_registration_letter_confirms_the_address_and_credits_the_bonus_once(mail_client, mail_services, smtp):
    user, headers, letter = register(mail_client, mail_services, smtp)
    assert user["email_verified"] is False and user["balance"] == 0  # SMTP configured: confirmation required
    assert letter["Subject"] == "Подтвердите адрес почты в Тортоделовой"
    assert link_of(letter).startswith("http://torto.test/confirm-email?token=")
    assert "Спасибо за регистрацию" in text_of(letter)
    page = mail_client.get(link_of(letter).replace("http://torto.test", ""))
    assert page.status_code == 200 and "Подтвердить адрес" in page.text  # opening the link alone confirms nothing
    assert mail_client.get("/api/me", headers=headers).json()["email_verified"] is False
    r = mail_client.post("/confirm-email", data={"token": token_of(letter)}, follow_redirects=False)
    assert r.status_code == 303
    me = mail_client.get("/api/me", headers=headers).json()
    assert me["email_verified"] is True and me["balance"] == 30
    # A second click (the API or the page again) is fine and credits nothing more.
    assert mail_client.post("/api/auth/confirm-email", json={"token": token_of(letter)}).status_code == 204
    assert mail_client.get("/api/me", headers=headers).json()["balance"] == 30
    assert bonus_rows(mail_services, user["id"]) == 1
    r = mail_client.post("/api/auth/confirm-email", json={"token": "wrong-confirmation-token"})
    assert r.status_code == 400 and r.json()["detail"] == recovery.CONFIRM_UNKNOWN
    assert mail_client.post("/api/me/confirm-email/resend", headers=headers).status_code == 409


def test_parallel_confirmations_credit_the_bonus_exactly_once(make_settings, pg_database, smtp):
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=pg_database, **smtp.settings()))
    with TestClient(create_app(services=services, ui=False)) as client:
        user, headers, letter = register(client, services, smtp)
        token, statuses = token_of(letter), []
        barrier = threading.Barrier(8)

        def click():
            barrier.wait()
            statuses.append(client.post("/api/auth/confirm-email", json={"token": token}).status_code)

        threads = [threading.Thread(target=click) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses == [204] * 8
        assert client.get("/api/me", headers=headers).json()["balance"] == 30
    assert bonus_rows(services, user["id"]) == 1
    services.engine.dispose()


@both_databases
def test_demo_claim_and_admin_promotion_wait_for_confirmation(mail_client, mail_services, smtp):
    from tortodelova.accounts import service as accounts

    demo = mail_client.post("/api/demo/generations", json={"prompt": "торт с клубникой"})
    assert demo.status_code == 202, demo.text
    claim_token = demo.json()["claim_token"]
    user, headers, letter = register(mail_client, mail_services, smtp)
    r = mail_client.post("/api/demo/claim", json={"claim_token": claim_token}, headers=headers)
    assert r.status_code == 403 and "после подтверждения адреса" in r.json()["detail"]
    with mail_services.session_factory() as session, pytest.raises(Conflict, match="не подтвердил адрес"):
        accounts.ensure_admin(session=session, settings=mail_services.settings, email=user["email"],
                              password=None, promote=True)
    assert mail_client.post("/api/auth/confirm-email", json={"token": token_of(letter)}).status_code == 204
    r = mail_client.post("/api/demo/claim", json={"claim_token": claim_token}, headers=headers)
    assert r.status_code == 200, r.text
    with mail_services.session_factory() as session:
        promoted = accounts.ensure_admin(session=session, settings=mail_services.settings, email=user["email"],
                                         password=None, promote=True)
        assert promoted.role == "admin"


def test_resend_supersedes_the_old_link_and_is_throttled(make_settings, sqlite_url, smtp):
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=sqlite_url, mail_account_limit="2 per hour",
                                            **smtp.settings()))
    with TestClient(create_app(services=services, ui=False)) as client:
        user, headers, first = register(client, services, smtp)
        r = client.post("/api/me/confirm-email/resend", headers=headers)
        assert r.status_code == 202 and "отправлено" in r.json()["detail"]
        second = last_token(smtp, services, user["email"])
        assert second != token_of(first)
        r = client.post("/api/auth/confirm-email", json={"token": token_of(first)})
        assert r.status_code == 400  # superseded by the newer letter
        assert client.post("/api/me/confirm-email/resend", headers=headers).status_code == 202
        r = client.post("/api/me/confirm-email/resend", headers=headers)
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert client.post("/api/me/confirm-email/resend").status_code == 401
    services.engine.dispose()


def test_embedded_mode_credits_at_once_and_writes_the_letter_to_the_outbox(make_settings, sqlite_url):
    from email import message_from_bytes, policy

    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    settings = make_settings(database_url=sqlite_url)
    assert not settings.email_confirmation_required  # no SMTP server: the outbox serves a single shop
    services = build_services(settings)
    with TestClient(create_app(services=services, ui=False)) as client:
        r = client.post("/api/auth/register", json={"email": "olga@mail.ru", "password": "кремовый-торт-123"})
        assert r.status_code == 201
        assert r.json()["balance"] == 30 and r.json()["email_verified"] is False
        [eml] = list(settings.outbox_dir.glob("*.eml"))
        letter = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert letter["To"] == "olga@mail.ru" and letter["Subject"] == "Подтвердите адрес почты в Тортоделовой"
        assert deliver(services) == 0
        r = client.post("/api/auth/confirm-email", json={"token": token_of(letter)})
        assert r.status_code == 204
        assert bonus_rows(services, 1) == 1  # confirming later credits nothing more
    services.engine.dispose()
