"""Password reset through a letter actually delivered by a real SMTP server (aiosmtpd): the link works once, for
30 minutes, only while it is the newest; it ends every session; unknown addresses get the same answer."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from tests.lifecycle.conftest import both_databases
from tests.lifecycle.helpers import PASSWORD, last_token, login, register
from tests.mail.smtp import deliver, link_of, text_of
from tortodelova.accounts import recovery
from tortodelova.accounts.models import AccountToken
from tortodelova.db import utcnow

NEW_PASSWORD = "новый-пароль-456"


@both_databases
def test_reset_by_mail_sets_the_password_once_and_ends_every_session(mail_client, mail_services, smtp):
    user, old_headers, _ = register(mail_client, mail_services, smtp)
    email = user["email"]
    r = mail_client.post("/api/auth/password-reset", json={"email": email.upper()})
    assert r.status_code == 202 and r.json()["detail"] == recovery.RESET_REQUESTED
    assert deliver(mail_services) == 1
    letter = smtp.inbox.to(email)[-1]
    assert letter["Subject"] == "Сброс пароля в Тортоделовой"
    assert "действует 30 минут" in text_of(letter)
    link = link_of(letter)
    assert link.startswith("http://torto.test/reset?token=")
    token = link.split("token=")[1]
    # The stored row holds only the hash of the token.
    with mail_services.session_factory() as session:
        row = session.query(AccountToken).filter_by(purpose="reset").one()
        assert row.token_hash == recovery.token_hash(token) and token not in row.token_hash
        assert timedelta(minutes=29) < row.expires_at - row.created_at <= timedelta(minutes=30)
    page = mail_client.get(link.replace("http://torto.test", ""))  # the link as the chef opens it
    assert page.status_code == 200 and 'name="password"' in page.text
    r = mail_client.post("/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    assert mail_client.get("/api/me", headers=old_headers).status_code == 401  # every old session ended
    login(mail_client, email, NEW_PASSWORD)
    assert mail_client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
    again = mail_client.post("/api/auth/password-reset/confirm", json={"token": token, "password": "другой-пароль-789"})
    assert again.status_code == 400 and again.json()["detail"] == recovery.USED


def test_unknown_address_gets_the_same_answer_in_the_same_time_class(mail_client, mail_services, smtp):
    user, _, _ = register(mail_client, mail_services, smtp)
    answers, seconds = [], []
    for email in (user["email"], "nobody-here@example.com", user["email"], "nobody-else@example.com"):
        started = time.perf_counter()
        r = mail_client.post("/api/auth/password-reset", json={"email": email})
        seconds.append(time.perf_counter() - started)
        answers.append((r.status_code, r.json()))
    assert len(set(map(repr, answers))) == 1 and answers[0][0] == 202
    # Neither path waits for a mail server or hashes a password: both answer in the same class (well under 1 s).
    assert max(seconds) < 1.0, seconds
    assert deliver(mail_services) == 2  # the two known ones only
    assert smtp.inbox.to("nobody-here@example.com") == [] and smtp.inbox.to("nobody-else@example.com") == []


def test_superseded_expired_and_wrong_links_are_refused_in_russian(mail_client, mail_services, smtp):
    user, _, _ = register(mail_client, mail_services, smtp)
    email = user["email"]
    mail_client.post("/api/auth/password-reset", json={"email": email})
    first = last_token(smtp, mail_services, email)
    mail_client.post("/api/auth/password-reset", json={"email": email})
    second = last_token(smtp, mail_services, email)
    assert first != second
    confirm = "/api/auth/password-reset/confirm"
    r = mail_client.post(confirm, json={"token": first, "password": NEW_PASSWORD})
    assert r.status_code == 400 and r.json()["detail"] == recovery.UNKNOWN  # a newer letter superseded it
    r = mail_client.post(confirm, json={"token": "not-a-real-token-at-all", "password": NEW_PASSWORD})
    assert r.status_code == 400 and "недействительна" in r.json()["detail"]
    r = mail_client.post(confirm, json={"token": second, "password": "short"})
    assert r.status_code == 422 and "от 8" in r.json()["detail"]  # a bad password does not use the link up
    with mail_services.session_factory() as session:
        session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    r = mail_client.post(confirm, json={"token": second, "password": NEW_PASSWORD})
    assert r.status_code == 400 and r.json()["detail"] == recovery.EXPIRED
    page = mail_client.get(f"/reset?token={second}")
    assert page.status_code == 400 and "Срок действия ссылки истёк" in page.text
    login(mail_client, email)  # the password never changed


def test_reset_page_is_reload_safe(mail_client, mail_services, smtp):
    user, _, _ = register(mail_client, mail_services, smtp)
    mail_client.post("/api/auth/password-reset", json={"email": user["email"]})
    token = last_token(smtp, mail_services, user["email"])
    assert mail_client.get(f"/reset?token={token}").status_code == 200  # opening it twice uses nothing up
    assert mail_client.get(f"/reset?token={token}").status_code == 200
    form = {"token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    r = mail_client.post("/reset", data=form)
    assert r.status_code == 400 and "Пароли не совпадают" in r.text
    form["password2"] = NEW_PASSWORD
    r = mail_client.post("/reset", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reset/done"
    assert "Пароль изменён" in mail_client.get("/reset/done").text  # reloading the result is harmless
    r = mail_client.post("/reset", data=form)  # the browser re-sends the form (reload, double click)
    assert r.status_code == 400 and "уже использована" in r.text
    login(mail_client, user["email"], NEW_PASSWORD)


def test_reset_requests_are_throttled_per_address_and_per_client(make_settings, mail_db, smtp):
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=mail_db, mail_account_limit="2 per hour",
                                            mail_client_limit="4 per hour", **smtp.settings()))
    with TestClient(create_app(services=services, ui=False)) as client:
        statuses = [client.post("/api/auth/password-reset", json={"email": "same@example.com"}).status_code
                    for _ in range(3)]
        assert statuses == [202, 202, 429]
        r = client.post("/api/auth/password-reset", json={"email": "same@example.com"})
        assert int(r.headers["Retry-After"]) > 0 and "Слишком много запросов писем" in r.json()["detail"]
        statuses = [client.post("/api/auth/password-reset", json={"email": f"other{i}@example.com"}).status_code
                    for i in range(3)]
        assert statuses == [202, 202, 429]  # this client has asked 4 times: the 5th address waits too
    services.engine.dispose()


def test_admin_hands_over_a_one_time_link_and_it_is_audited(mail_client, mail_services, smtp):
    from tortodelova.accounts import service as accounts

    user, user_headers, _ = register(mail_client, mail_services, smtp)
    with mail_services.session_factory() as session:
        accounts.ensure_admin(session=session, settings=mail_services.settings, email="boss@example.com",
                              password="admin-password-1")
    admin = login(mail_client, "boss@example.com", "admin-password-1")
    path = f"/api/admin/users/{user['id']}/password-reset"
    assert mail_client.post(path, headers=user_headers).status_code == 403
    r = mail_client.post(path, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["url"].startswith("http://torto.test/reset?token=") and body["expires_at"]
    assert "password" not in r.text.lower()
    assert deliver(mail_services) == 0  # handed over, not mailed
    token = body["url"].split("token=")[1]
    r = mail_client.post("/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 204
    assert mail_client.get("/api/me", headers=user_headers).status_code == 401
    login(mail_client, user["email"], NEW_PASSWORD)
    audit = mail_client.get("/api/admin/audit", headers=admin).json()
    assert audit["total"] == 1 and audit["items"][0]["target_user_id"] == user["id"]
    assert audit["items"][0]["action"] == "password_reset_link" and user["email"] in audit["items"][0]["detail"]
    assert mail_client.post("/api/admin/users/999999/password-reset", headers=admin).status_code == 404
