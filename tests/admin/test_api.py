"""Admin routes: every one checks the role on the server; rules on balance, blocking and deletion."""
from __future__ import annotations

import pytest

from tortodelova.billing import service as billing


@pytest.fixture
def admin(client, services, settings):
    from tortodelova.accounts.service import ensure_admin

    with services.session() as session:
        ensure_admin(session=session, settings=settings, email="admin@example.com", password="admin-password")
    token = client.post("/api/auth/login", json={"email": "admin@example.com", "password": "admin-password"}
                        ).json()["access_token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


ADMIN_ROUTES = [
    ("get", "/api/admin/users", None), ("post", "/api/admin/users/1/balance", {"amount": 5, "reason": "x"}),
    ("post", "/api/admin/users/1/block", None), ("post", "/api/admin/users/1/unblock", None),
    ("delete", "/api/admin/users/1", None), ("get", "/api/admin/transactions", None),
    ("get", "/api/admin/generations", None), ("get", "/api/admin/stats", None),
    ("get", "/api/admin/glossary-misses", None),
]


def test_every_admin_route_refuses_users_and_anonymous(client, register, admin):
    _, user = register()
    for method, path, body in ADMIN_ROUTES:
        kwargs = {"json": body} if body else {}
        assert getattr(client, method)(path, headers=user, **kwargs).status_code == 403, path
        assert getattr(client, method)(path, **kwargs).status_code == 401, path
    # Every admin route in the app is in the list above.
    routes = {r.path for r in client.app.routes if getattr(r, "path", "").startswith("/api/admin")}
    listed = {p.replace("/1", "/{user_id}") for _, p, _ in ADMIN_ROUTES}
    assert routes <= listed, routes - listed


def test_users_search_adjust_block_delete(client, register, admin, services):
    anna, anna_h = register("anna@example.com")
    register("boris@example.com")
    page = client.get("/api/admin/users?q=ANNA&limit=10", headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["email"] == "anna@example.com"
    assert {"generations", "is_active", "balance", "role"} <= page["items"][0].keys()
    assert client.get("/api/admin/users?limit=0", headers=admin).status_code == 422

    r = client.post(f"/api/admin/users/{anna['id']}/balance", headers=admin, json={"amount": 70, "reason": "подарок"})
    assert r.status_code == 200 and r.json()["balance"] == 100
    r = client.post(f"/api/admin/users/{anna['id']}/balance", headers=admin, json={"amount": -101, "reason": "x"})
    assert r.status_code == 409
    assert client.post(f"/api/admin/users/{anna['id']}/balance", headers=admin, json={"amount": 5}
                       ).status_code == 422
    assert client.post(f"/api/admin/users/{anna['id']}/balance", headers=admin, json={"amount": "x", "reason": "y"}
                       ).status_code == 422
    txns = client.get(f"/api/admin/transactions?user_id={anna['id']}", headers=admin).json()
    assert [t["kind"] for t in txns["items"]] == ["admin_adjust", "bonus"]
    assert txns["items"][0]["description"] == "подарок" and txns["items"][0]["actor"].startswith("admin:")
    with services.session() as session:
        assert billing.balance_of(session=session, user_id=anna["id"]) == billing.ledger_sum(
            session=session, user_id=anna["id"])

    assert client.post(f"/api/admin/users/{anna['id']}/block", headers=admin).json()["id"] == anna["id"]
    assert client.get("/api/me", headers=anna_h).status_code == 401
    assert client.post(f"/api/admin/users/{anna['id']}/unblock", headers=admin).status_code == 200
    # v2: blocking ended anna's sessions; after the unblock she signs in again.
    assert client.get("/api/me", headers=anna_h).status_code == 401
    login = client.post("/api/auth/login", json={"email": "anna@example.com", "password": "кремовый-торт-123"})
    client.cookies.clear()
    anna_h = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/me", headers=anna_h).status_code == 200

    assert client.delete(f"/api/admin/users/{anna['id']}", headers=admin).status_code == 204
    assert client.get("/api/me", headers=anna_h).status_code == 401
    assert client.delete(f"/api/admin/users/{anna['id']}", headers=admin).status_code == 404


def test_admin_cannot_delete_or_block_self_or_last_admin(client, admin):
    me = client.get("/api/me", headers=admin).json()
    assert client.delete(f"/api/admin/users/{me['id']}", headers=admin).status_code == 409
    assert client.post(f"/api/admin/users/{me['id']}/block", headers=admin).status_code == 409
    assert client.get("/api/me", headers=admin).status_code == 200


def test_stats_and_generations(client, register, admin):
    _, user = register()
    client.post("/api/generations", headers=user, json={"prompt": "торт", "quality": "fast"})
    stats = client.get("/api/admin/stats?days=7", headers=admin).json()
    assert len(stats["days"]) == 7 and stats["queue_depth"] == 1
    today = stats["days"][-1]
    assert today["generations"] == 1 and today["credits_charged"] == 5 and today["new_users"] == 2
    gens = client.get("/api/admin/generations?status=queued", headers=admin).json()
    assert gens["total"] == 1 and gens["items"][0]["user_id"]
    assert client.get("/api/admin/generations?status=weird", headers=admin).status_code == 422


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/admin/users/99999999999999999999999/block", None),
    ("post", "/api/admin/users/1/balance", {"amount": "²", "reason": "x"}),
    ("post", "/api/admin/users/1/balance", {"amount": 5, "reason": "a\x00b"}),
    ("get", "/api/admin/users?offset=99999999999999999999", None),
    ("get", "/api/admin/users?q=%00", None),
    ("get", "/api/admin/transactions?user_id=99999999999999999999", None),
    ("get", "/api/admin/transactions?kind=%00", None),
    ("get", "/api/admin/generations?status=%00", None),
])
def test_bad_admin_input_is_4xx_never_500(client, admin, method, path, body):
    """Issue 10, finding 7: huge ids and offsets, «²» in the amount, NUL bytes in the search and the reason."""
    kwargs = {"json": body} if body else {}
    r = getattr(client, method)(path, headers=admin, **kwargs)
    assert 400 <= r.status_code < 500 and r.status_code != 404, (path, r.status_code, r.text)
    assert r.json()["detail"]


def test_admin_generation_list_is_typed_with_signed_links_and_hides_deleted(client, register, admin):
    _, user = register()
    kept = client.post("/api/generations", headers=user, json={"prompt": "торт", "quality": "fast"}).json()["id"]
    gone = client.post("/api/generations", headers=user, json={"prompt": "торт 2", "quality": "fast"}).json()["id"]
    assert client.delete(f"/api/generations/{gone}", headers=user).status_code == 204
    page = client.get("/api/admin/generations", headers=admin).json()
    assert [g["id"] for g in page["items"]] == [kept] and page["total"] == 1
    assert page["items"][0]["queue_position"] == 1 and page["items"][0]["status_title"] == "В очереди"
