"""Deleting one's account: jobs cancelled and refunded first, no object left under the user's prefix (local disk
and SeaweedFS), share links dead, sessions ended, personal fields erased, the ledger kept and still adding up."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from tests.lifecycle.conftest import registrar
from tests.lifecycle.designs import make_designs
from tortodelova.accounts.models import User
from tortodelova.billing.models import Transaction
from tortodelova.generation.models import Generation
from tortodelova.lifecycle import service as lifecycle

PASSWORD = "кремовый-торт-123"


def objects_under(services, prefix: str) -> list[str]:
    settings = services.settings
    if settings.uses_s3:  # SeaweedFS's own listing
        store = services.store
        return [o.object_name for o in store.client.list_objects(settings.s3_bucket, prefix=prefix, recursive=True)]
    root = Path(settings.images_dir)
    return [str(p.relative_to(root)) for p in (root / prefix).rglob("*") if p.is_file()] if (root / prefix).exists() \
        else []


def ledger_adds_up(services) -> None:
    with services.session_factory() as session:
        sums = dict(session.execute(select(Transaction.user_id, func.sum(Transaction.amount))
                                    .group_by(Transaction.user_id)).all())
        for user in session.scalars(select(User)):
            assert user.balance == sums.get(user.id, 0) and user.balance >= 0, user.email


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 80), (200, 120, 140)).save(out, format="PNG")
    return out.getvalue()


def test_delete_account_removes_everything_personal_and_keeps_the_books(store_client, store_services):
    client, services, register = store_client, store_services, registrar(store_client)
    user, headers = register(password=PASSWORD)
    other, other_headers = register()
    uid = user["id"]
    designs = make_designs(services, uid, 3, plain_every=2)
    make_designs(services, other["id"], 1)
    r = client.post("/api/uploads", files={"file": ("ref.png", png(), "image/png")}, headers=headers)
    assert r.status_code == 201, r.text
    share = client.post(f"/api/generations/{designs[0].id}/share", headers=headers).json()
    share_path = "/s/" + share["token"]
    assert client.get(share_path).status_code == 200
    queued = client.post("/api/generations", json={"prompt": "торт с малиной"}, headers=headers).json()
    running = client.post("/api/generations", json={"prompt": "торт с вишней"}, headers=headers).json()
    with services.session_factory() as session:  # a worker holds this one
        session.get(Generation, running["id"]).status = "running"
        session.commit()
    charged = queued["cost"] + running["cost"]
    assert client.get("/api/me", headers=headers).json()["balance"] == 30 - charged
    assert len(objects_under(services, f"users/{uid}/")) == 3 + 2 + 1  # images, plain copies, the upload

    r = client.request("DELETE", "/api/me", json={"password": "не-тот-пароль"}, headers=headers)
    assert r.status_code == 403 and r.json()["detail"] == lifecycle.WRONG_PASSWORD
    assert client.get("/api/me", headers=headers).status_code == 200  # nothing happened

    r = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=headers)
    assert r.status_code == 204, r.text
    assert objects_under(services, f"users/{uid}/") == []
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.get(share_path).status_code == 404
    assert client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD}).status_code == 401
    with services.session_factory() as session:
        row = session.get(User, uid)
        assert row.email == f"deleted-{uid}@deleted.invalid" and row.deleted_at is not None and not row.is_active
        assert row.display_name is None and row.contact is None
        jobs = {g.id: g for g in session.scalars(select(Generation).where(Generation.user_id == uid))}
        assert jobs[queued["id"]].status == jobs[running["id"]].status == "cancelled"
        assert all(g.prompt_ru == "" and g.image_keys == [] for g in jobs.values())
        kinds = [t.kind for t in session.scalars(select(Transaction).where(Transaction.user_id == uid))]
        assert sorted(kinds) == ["bonus", "charge", "charge", "refund", "refund"]  # each job refunded once
        assert not any("малин" in t.description for t in session.scalars(select(Transaction)))
        assert row.balance == 30
    ledger_adds_up(services)
    # The other chef keeps everything; the address is free to register again.
    assert len(objects_under(services, f"users/{other['id']}/")) == 2
    assert client.get("/api/me", headers=other_headers).status_code == 200
    assert client.post("/api/auth/register", json={"email": user["email"], "password": PASSWORD}).status_code == 201


def test_admin_views_still_add_up_after_a_deletion(store_client, store_services):
    client, services, register = store_client, store_services, registrar(store_client)
    from tortodelova.accounts import service as accounts

    user, headers = register(password=PASSWORD)
    client.post("/api/generations", json={"prompt": "торт с малиной"}, headers=headers)
    with services.session_factory() as session:
        accounts.ensure_admin(session=session, settings=services.settings, email="boss@example.com",
                              password="admin-password-1")
    admin_token = client.post("/api/auth/login", json={"email": "boss@example.com",
                                                      "password": "admin-password-1"}).json()["access_token"]
    client.cookies.clear()
    admin = {"Authorization": f"Bearer {admin_token}"}
    assert client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=headers).status_code == 204
    users = client.get("/api/admin/users", headers=admin).json()
    assert user["id"] not in {u["id"] for u in users["items"]}  # the deleted account is not a customer any more
    stats = client.get("/api/admin/stats?days=1", headers=admin).json()
    assert stats["days"][-1]["credits_charged"] == 0  # charged and refunded: the books balance
    txns = client.get(f"/api/admin/transactions?user_id={user['id']}", headers=admin).json()
    assert txns["total"] == 3 and sum(t["amount"] for t in txns["items"]) == 30
    ledger_adds_up(services)


def test_logout_everywhere_ends_every_session(sqlite_client):
    client, register = sqlite_client, registrar(sqlite_client)
    user, first = register(password=PASSWORD)
    second_token = client.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD}).json()
    client.cookies.clear()
    second = {"Authorization": f"Bearer {second_token['access_token']}"}
    assert client.post("/api/me/logout-everywhere").status_code == 401
    assert client.post("/api/me/logout-everywhere", headers=first).status_code == 204
    assert client.get("/api/me", headers=first).status_code == 401
    assert client.get("/api/me", headers=second).status_code == 401
