"""Issue 18 (LOW findings), on SQLite and PostgreSQL: every request that answered a plain «Internal Server Error»
now gets a clear 4xx in Russian; what a blocked, deleted or claimed design may still show; the admin bootstrap;
re-lettering racing a delete; CORS and the framework's own English answers."""
from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.security.conftest import PASSWORD, login
from tortodelova.generation.models import Generation

SURROGATE = "\\udcff"  # as it arrives in a JSON body: valid JSON, a lone UTF-16 surrogate once decoded


def raw_json(text: str) -> dict:
    return {"content": text.encode(), "headers": {"Content-Type": "application/json"}}


def finished(services, generation_id: str, *, keys: list[str] | None = None) -> None:
    """Mark a queued generation as done with `keys` as its pictures (no worker runs in these tests)."""
    with services.session() as session:
        generation = session.get(Generation, generation_id)
        generation.status, generation.progress = "succeeded", 1.0
        generation.image_keys = keys if keys is not None else [f"users/{generation.user_id}/{generation_id}/0.png"]
        session.commit()


def png(size=(256, 256)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (240, 220, 225)).save(out, format="PNG")
    return out.getvalue()


def make_demo(client, services) -> tuple[str, str]:
    r = client.post("/api/demo/generations", json={"prompt": "торт с ягодами"})
    assert r.status_code == 202, r.text
    generation_id, claim_token = r.json()["id"], r.json()["claim_token"]
    finished(services, generation_id, keys=[f"demo/{generation_id}/0.png"])
    services.store.put(f"demo/{generation_id}/0.png", png((64, 64)))
    return generation_id, claim_token


# ---------------------------------------------------------------- 5xx → 4xx
def test_non_ascii_claim_token_and_signature_are_404_not_500(client, register, services):
    generation_id, _claim = make_demo(client, services)
    client.cookies.clear()  # a stranger: only the claim token could open it
    for token in ("ёжик", "токен-с-кириллицей", "\u00e9" * 32):
        for path in (f"/api/demo/generations/{generation_id}", f"/api/demo/generations/{generation_id}/images/0",
                     f"/api/demo/generations/{generation_id}/images/0/download"):
            r = client.get(path, params={"claim_token": token})
            assert r.status_code == 404 and r.json()["detail"] == "Демо-дизайн не найден", (path, r.text)

    from tortodelova.generation.images import signed_image_path

    _user, headers = register()
    generation = client.post("/api/generations", json={"prompt": "торт"}, headers=headers).json()
    finished(services, generation["id"])
    signed = signed_image_path(settings=services.settings, generation_id=generation["id"], index=0)
    base, sig = signed.split("&sig=")
    for forged in ("ё" * 32, "ж", sig[:-1] + "ё"):
        r = client.get(f"{base}&sig={forged}")
        assert r.status_code == 404 and "Ссылка" in r.json()["detail"], r.text


def test_lone_surrogates_in_text_fields_are_422_in_russian(client, register):
    _user, headers = register("surrogate@example.com")
    cases = [
        ("/api/auth/login", f'{{"email": "a{SURROGATE}@example.com", "password": "password-1"}}', {}),
        ("/api/auth/login", f'{{"email": "surrogate@example.com", "password": "pass{SURROGATE}word"}}', {}),
        ("/api/auth/register", f'{{"email": "new@example.com", "password": "pass{SURROGATE}word-1"}}', {}),
        ("/api/auth/register", f'{{"email": "n{SURROGATE}@example.com", "password": "password-1"}}', {}),
        ("/api/me/password", f'{{"old_password": "{PASSWORD}", "new_password": "new{SURROGATE}pass-1"}}', headers),
        ("/api/me/password", f'{{"old_password": "x{SURROGATE}", "new_password": "new-pass-123"}}', headers),
        # Siblings: every JSON text field goes through the same check at the edge.
        ("/api/generations", f'{{"prompt": "торт {SURROGATE}"}}', headers),
        ("/api/demo/claim", f'{{"claim_token": "{SURROGATE}"}}', headers),
        ("/api/demo/generations", f'{{"prompt": "торт {SURROGATE}"}}', {}),
    ]
    for path, body, extra in cases:
        r = client.post(path, content=body.encode(), headers={"Content-Type": "application/json", **extra})
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert "суррогат" in r.json()["detail"], (path, r.text)
    # A real emoji is a surrogate *pair* in JSON: it is text like any other (the prompt rules decide about it).
    r = client.post("/api/auth/login", **raw_json('{"email": "\\ud83c\\udf82@example.com", "password": "x"}'))
    assert r.status_code in (401, 422) and "суррогат" not in r.json()["detail"]
    assert client.post("/api/auth/login", json={"email": "surrogate@example.com", "password": PASSWORD}
                       ).status_code == 200


def test_lone_surrogates_reaching_the_account_service_are_refused_not_crashed(services, settings):
    """The same, below the edge: a caller that is not HTTP (the UI hands values straight to the service)."""
    from tortodelova.accounts import service as accounts
    from tortodelova.billing import onboarding
    from tortodelova.errors import InvalidCredentials, InvalidInput

    with services.session() as session:
        with pytest.raises(InvalidInput):
            onboarding.register(session=session, settings=settings, email="x@example.com", password="pass\udcffword")
        with pytest.raises(InvalidInput):
            onboarding.register(session=session, settings=settings, email="x\udcff@example.com",
                                password="password-1")
        with pytest.raises(InvalidCredentials):
            accounts.login(session=session, settings=settings, email="x\udcff@example.com", password="password-1")
        with pytest.raises(InvalidCredentials):
            accounts.login(session=session, settings=settings, email="x@example.com", password="p\udcff")


def test_a_user_deleted_by_an_admin_mid_request_gets_401_and_nothing_is_kept(services, settings):
    """POST /api/generations and /api/uploads racing an admin's delete of that user ended in an FK IntegrityError
    (48 of 240 on SQLite). Here the race is made exact: the request holds its user, then the account goes."""
    from tortodelova.accounts import service as accounts
    from tortodelova.admin import service as admin_service
    from tortodelova.billing import onboarding
    from tortodelova.errors import NotAuthenticated
    from tortodelova.generation import service as generation_service
    from tortodelova.generation.schemas import GenerationRequest
    from tortodelova.uploads import service as uploads
    from tortodelova.uploads.models import Upload

    with services.session() as session:
        accounts.ensure_admin(session=session, settings=settings, email="boss@example.com", password=PASSWORD)
        admin = accounts.get_by_email(session=session, email="boss@example.com")
    for what in ("generation", "upload"):
        with services.session() as session:
            user = onboarding.register(session=session, settings=settings, email=f"{what}@example.com",
                                       password=PASSWORD)
            session.commit()  # the request has authenticated its user...
            user_id = user.id
            with services.session() as other:  # ...when the admin deletes the account
                admin_service.delete_user(session=other, store=services.store, admin=other.merge(admin),
                                          user_id=user_id)
            with pytest.raises(NotAuthenticated, match="Аккаунт удалён"):
                if what == "generation":
                    generation_service.submit(session=session, settings=settings, queue=services.queue, user=user,
                                              request=GenerationRequest(prompt="торт"))
                else:
                    uploads.create(session=session, store=services.store, settings=settings, user=user,
                                   data=png((128, 128)))
        with services.session() as session:
            assert session.query(Generation).filter_by(user_id=user_id).count() == 0
            assert session.query(Upload).filter_by(user_id=user_id).count() == 0
        images = settings.images_dir / "users" / str(user_id)
        assert not images.exists() or not any(p.is_file() for p in images.rglob("*")), list(images.rglob("*"))


# ---------------------------------------------------------------- what stays readable
def test_a_blocked_owners_share_page_and_image_are_404(client, register, services, admin_headers):
    user, headers = register()
    generation = client.post("/api/generations", json={"prompt": "торт"}, headers=headers).json()
    key = f"users/{user['id']}/{generation['id']}/0.png"
    finished(services, generation["id"], keys=[key])
    services.store.put(key, png((64, 64)))
    token = client.post(f"/api/generations/{generation['id']}/share", headers=headers).json()["url"].rsplit("/")[-1]
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(f"/s/{token}/images/0.png").status_code in (200, 307)
    assert client.post(f"/api/admin/users/{user['id']}/block", headers=admin_headers).status_code == 200
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/s/{token}/images/0.png").status_code == 404
    assert client.post(f"/api/admin/users/{user['id']}/unblock", headers=admin_headers).status_code == 200
    assert client.get(f"/s/{token}").status_code == 200  # unblocked: the link works again


def test_a_claimed_demo_is_the_accounts_and_a_deleted_one_is_gone_for_the_guest(client, services):
    generation_id, claim_token = make_demo(client, services)  # the client now holds the guest cookie
    guest_cookie = dict(client.cookies)
    path = f"/api/demo/generations/{generation_id}"
    assert client.get(path, params={"claim_token": claim_token}).status_code == 200
    client.post("/api/auth/register", json={"email": "claimer@example.com", "password": PASSWORD})
    headers = login(client, "claimer@example.com")
    assert client.post("/api/demo/claim", json={"claim_token": claim_token}, headers=headers).status_code == 200

    client.cookies.clear()
    r = client.get(path, params={"claim_token": claim_token})  # claimed: the token no longer opens it
    assert r.status_code == 404 and r.json()["detail"] == "Демо-дизайн не найден"
    assert client.get(f"{path}/images/0", params={"claim_token": claim_token}).status_code == 404
    client.cookies.update(guest_cookie)
    assert client.get(path).status_code == 200  # the browser that made it still sees it while it exists

    client.cookies.clear()
    assert client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 204
    client.cookies.update(guest_cookie)
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/images/0").status_code == 404
    assert client.get(path, params={"claim_token": claim_token}).status_code == 404


# ---------------------------------------------------------------- admin bootstrap
def test_the_admin_bootstrap_does_not_revert_the_admins_own_password_change(make_settings, database_url):
    from tortodelova.server import build_services, create_app

    env = dict(database_url=database_url, admin_email="root@example.com", admin_password="пароль-из-env-1")
    first = build_services(make_settings(**env))
    with TestClient(create_app(services=first, ui=False)) as client:
        headers = login(client, "root@example.com", "пароль-из-env-1")
        r = client.post("/api/me/password", json={"old_password": "пароль-из-env-1",
                                                  "new_password": "мой-новый-пароль-1"}, headers=headers)
        assert r.status_code == 204, r.text
        fresh = {"Authorization": f"Bearer {r.headers['X-Access-Token']}"}
    first.engine.dispose()

    restarted = build_services(make_settings(**env, jwt_secret=first.settings.jwt_secret))  # a restart, same env
    with TestClient(create_app(services=restarted, ui=False)) as client:
        assert client.get("/api/me", headers=fresh).status_code == 200  # the session the change started lives
        assert client.post("/api/auth/login", json={"email": "root@example.com", "password": "пароль-из-env-1"}
                           ).status_code == 401
        assert client.post("/api/auth/login", json={"email": "root@example.com", "password": "мой-новый-пароль-1"}
                           ).status_code == 200
    restarted.engine.dispose()


# ---------------------------------------------------------------- re-lettering racing a delete
class DeletingStore:
    """The real store; the first write of a re-lettering runs `on_first_put` (the owner's delete) right before it."""

    def __init__(self, store, on_first_put):
        self.store, self.on_first_put, self.fired = store, on_first_put, False

    def put(self, key, data, content_type="image/png"):
        if not self.fired:
            self.fired = True
            self.on_first_put()
        return self.store.put(key, data, content_type)

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.mark.parametrize("inscription", ["С днём рождения", None])
def test_re_lettering_racing_a_delete_leaves_no_private_image(services, settings, inscription):
    from tortodelova.billing import onboarding
    from tortodelova.errors import NotFound
    from tortodelova.generation import service as generation_service
    from tortodelova.generation.inscriptions import service as inscriptions
    from tortodelova.generation.schemas import GenerationRequest, InscriptionRequest

    with services.session() as session:
        user = onboarding.register(session=session, settings=settings, email=f"l-{uuid.uuid4().hex[:6]}@example.com",
                                   password=PASSWORD)
        generation = generation_service.submit(session=session, settings=settings, queue=services.queue, user=user,
                                               request=GenerationRequest(prompt="торт"))
    keys = [f"users/{user.id}/{generation.id}/{i}.png" for i in range(2)]
    finished(services, generation.id, keys=keys)
    for key in keys:
        services.store.put(key, png())

    def owner_deletes():
        with services.session() as other:
            generation_service.delete(session=other, store=services.store, user=other.merge(user),
                                      generation_id=generation.id)

    request = InscriptionRequest(text=inscription) if inscription else None
    with services.session() as session, pytest.raises(NotFound):
        inscriptions.reletter(session=session, store=DeletingStore(services.store, owner_deletes),
                              user=session.merge(user), generation_id=generation.id, inscription=request)
    left = [p for p in (settings.images_dir / "users" / str(user.id)).rglob("*") if p.is_file()]
    assert left == [], left


# ---------------------------------------------------------------- the edge's own answers
def test_cors_echoes_no_foreign_origin_and_only_the_listed_ones(make_settings):
    """Not about the database (SQLite only): the whole app with the UI mounted, as a browser reaches it."""
    from tortodelova.server import build_services, create_app

    preflight = {"Origin": "https://evil.torty.example.ru", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type", "Host": "torty.example.ru"}
    services = build_services(make_settings(cors_allow_origins="https://app.example.ru"))
    with TestClient(create_app(services=services), base_url="http://torty.example.ru") as client:
        for path in ("/api/admin/users/1/balance", "/api/me", "/gradio_api/queue/join", "/config"):
            r = client.options(path, headers=preflight)
            assert "access-control-allow-origin" not in r.headers, (path, dict(r.headers))
            r = client.get(path, headers={"Origin": "https://evil.torty.example.ru"})
            assert r.headers.get("access-control-allow-origin") is None, (path, dict(r.headers))
        r = client.options("/api/me", headers={**preflight, "Origin": "https://app.example.ru"})
        assert r.headers["access-control-allow-origin"] == "https://app.example.ru"
    services.engine.dispose()


def test_the_frameworks_own_answers_are_in_russian(client, register):
    _user, headers = register()
    r = client.get("/api/no-such-route")
    assert r.status_code == 404 and r.json()["detail"] == "Не найдено"
    r = client.put("/api/me", headers=headers)
    assert r.status_code == 405 and not r.json()["detail"].isascii()
    r = client.post("/api/auth/login", content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"})
    assert 400 <= r.status_code < 500 and not r.json()["detail"].isascii(), r.text


def test_writes_for_a_user_deleted_meanwhile_are_4xx_at_the_rest_edge(client, register, services, settings):
    """A sibling of the generation/upload race: a password change whose account an admin deletes just before the
    commit (an ORM UPDATE of a row that is gone: StaleDataError, a 500 before) answers 409 in Russian."""
    from sqlalchemy import event

    from tortodelova.accounts.models import User

    user, headers = register()

    fired = []

    def delete_the_user_first(_session, _context, _instances):
        if fired:
            return
        fired.append(True)
        with services.session() as other:  # the admin's delete lands just before this request's commit
            other.query(User).filter_by(id=user["id"]).delete()
            other.commit()

    event.listen(services.session_factory, "before_flush", delete_the_user_first)
    try:
        r = client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": "новый-пароль-1"},
                        headers=headers)
    finally:
        event.remove(services.session_factory, "before_flush", delete_the_user_first)
    assert r.status_code == 409 and "Данные изменились" in r.json()["detail"], (r.status_code, r.text)
