"""/api/selections and /c/{token}: ownership, revocation, expiry, the choice until agreed and frozen after, limits.
SQLite and PostgreSQL (the root `database_url`)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tortodelova.db import utcnow
from tortodelova.selections.models import Selection

SAME_SITE = {"Origin": "http://testserver"}


def make_selection(client, headers, ids, **extra):
    r = client.post("/api/selections", headers=headers, json={"title": "Торт на юбилей Ольги, 3 кг",
                                                              "generation_ids": ids, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_create_list_get_update_and_the_contract_fields(client, register, design_factory):
    user, headers = register()
    first, second, third = (design_factory(user["id"]) for _ in range(3))

    created = make_selection(client, headers, [first, second], note="Оба с пионами\nможно без ягод")

    assert set(created) >= {"id", "title", "note", "url", "token", "generation_ids", "created_at", "expires_at",
                            "agreed_at", "choice"}
    assert created["generation_ids"] == [first, second]
    assert created["url"] == f"http://testserver/c/{created['token']}"
    assert len(created["token"]) >= 32 and created["choice"] is None and created["expires_at"] is None
    listed = client.get("/api/selections", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    r = client.patch(f"/api/selections/{created['id']}", headers=headers,
                     json={"title": "Юбилей", "generation_ids": [third, first]})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Юбилей" and r.json()["generation_ids"] == [third, first]
    assert r.json()["note"] == "Оба с пионами\nможно без ягод"  # absent fields stay
    assert client.get(f"/api/selections/{created['id']}", headers=headers).json()["generation_ids"] == [third, first]


def test_ownership_foreign_designs_and_foreign_selections(client, register, design_factory):
    chef, chef_headers = register()
    other, other_headers = register()
    mine, theirs = design_factory(chef["id"]), design_factory(other["id"])

    r = client.post("/api/selections", headers=chef_headers, json={"title": "Чужой", "generation_ids": [theirs]})
    assert r.status_code == 404 and "только свои дизайны" in r.json()["detail"]
    selection = make_selection(client, chef_headers, [mine])
    r = client.patch(f"/api/selections/{selection['id']}", headers=chef_headers,
                     json={"generation_ids": [mine, theirs]})
    assert r.status_code == 404 and "только свои дизайны" in r.json()["detail"]
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/agree")):
        r = client.request(method, f"/api/selections/{selection['id']}{path}", headers=other_headers,
                           json={"title": "взлом"} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["detail"] == "Подборка не найдена"
    assert client.get("/api/selections", headers=other_headers).json() == {"items": [], "total": 0}
    assert client.get(f"/api/selections/{selection['id']}").status_code == 401
    assert client.get("/api/selections/99999999999999999999", headers=chef_headers).status_code in (404, 422)


def test_bad_input_is_refused_in_russian(client, register, design_factory):
    user, headers = register()
    ids = [design_factory(user["id"], variants=1) for _ in range(13)]
    unfinished = design_factory(user["id"], status="queued")
    cases = [
        ({"title": "   ", "generation_ids": ids[:1]}, "не может быть пустым"),
        ({"title": "x" * 121, "generation_ids": ids[:1]}, "слишком длинный"),
        ({"title": "Т", "generation_ids": []}, "от 1 до 12"),
        ({"title": "Т", "generation_ids": ids}, "от 1 до 12"),
        ({"title": "Т", "generation_ids": "abc"}, "нужен список"),
        ({"title": "Т", "generation_ids": ids[:1], "note": "n" * 1001}, "слишком длинный"),
        ({"title": "Т", "generation_ids": ids[:1], "expires_in_days": 0}, "от 1 до 365"),
        ({"title": "Т\x07", "generation_ids": ids[:1]}, "недопустимые символы"),
        ({"title": "Т", "generation_ids": [unfinished]}, "только готовые"),
    ]
    for body, expected in cases:
        r = client.post("/api/selections", headers=headers, json=body)
        assert r.status_code in (409, 422), (body, r.text)
        assert expected in r.json()["detail"], (body, r.json())
    # Twelve is the most; the same design twice counts once.
    assert make_selection(client, headers, ids[:12] + ids[:1])["generation_ids"] == ids[:12]


def test_revoked_and_expired_links_answer_404_with_a_friendly_page(client, register, design_factory, services):
    user, headers = register()
    design = design_factory(user["id"])
    revoked = make_selection(client, headers, [design])
    expiring = make_selection(client, headers, [design], expires_in_days=3)
    assert client.get(f"/c/{revoked['token']}").status_code == 200

    assert client.delete(f"/api/selections/{revoked['id']}", headers=headers).status_code == 204
    with services.session() as session:
        session.get(Selection, expiring["id"]).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()

    for token in (revoked["token"], expiring["token"], "no-such-token", "x" * 500):
        page = client.get(f"/c/{token}")
        assert page.status_code == 404
        assert "Подборка недоступна" in page.text and "noindex" in page.text
        assert page.headers["x-robots-tag"].startswith("noindex")
        r = client.post(f"/c/{token}/choice", json={"generation_id": design}, headers=SAME_SITE)
        assert r.status_code == 404 and "Ссылка недействительна" in r.json()["detail"]
        assert client.get(f"/c/{token}/images/{design}/0.png").status_code == 404
    # The chef still sees the revoked selection (and its answer, if any).
    assert client.get(f"/api/selections/{revoked['id']}", headers=headers).json()["revoked"] is True


def test_the_choice_changes_until_agreed_and_is_frozen_after(client, register, design_factory):
    user, headers = register()
    first, second = design_factory(user["id"], variants=2), design_factory(user["id"], variants=1)
    selection = make_selection(client, headers, [first, second])
    token = selection["token"]
    r = client.post(f"/api/selections/{selection['id']}/agree", headers=headers)
    assert r.status_code == 409 and "ещё ничего не выбрал" in r.json()["detail"]

    r = client.post(f"/c/{token}/choice", headers=SAME_SITE,
                    json={"generation_id": first, "index": 1, "comment": "без ягод", "name": "Ольга",
                          "phone": "+7 900 000-00-00"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    choice = client.get(f"/api/selections/{selection['id']}", headers=headers).json()["choice"]
    assert (choice["generation_id"], choice["index"], choice["comment"], choice["name"], choice["phone"]) == \
        (first, 1, "без ягод", "Ольга", "+7 900 000-00-00")
    # Changed by the form: the button carries the picture; empty name/phone keep the earlier ones.
    r = client.post(f"/c/{token}/choice", headers=SAME_SITE, follow_redirects=False,
                    data={"pick": f"{second}:0", "comment": "лучше этот", "name": "", "phone": ""})
    assert r.status_code == 303 and r.headers["location"] == f"/c/{token}#chosen"
    page = client.get(f"/c/{token}")
    assert "Вы выбрали вариант 3" in page.text and "лучше этот" in page.text
    assert "Ольга" not in page.text and "+7 900" not in page.text  # only the chef sees them
    choice = client.get(f"/api/selections/{selection['id']}", headers=headers).json()["choice"]
    assert (choice["generation_id"], choice["index"], choice["name"]) == (second, 0, "Ольга")
    # A picture that is not in the selection.
    r = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": second, "index": 3})
    assert r.status_code == 422 and "нет в подборке" in r.json()["detail"]

    agreed = client.post(f"/api/selections/{selection['id']}/agree", headers=headers)
    assert agreed.status_code == 200 and agreed.json()["agreed_at"] is not None
    r = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": first})
    assert r.status_code == 409 and "уже согласован" in r.json()["detail"]
    form = client.post(f"/c/{token}/choice", headers=SAME_SITE, data={"pick": f"{first}:0"})
    assert form.status_code == 409 and "уже согласован" in form.text
    assert client.get(f"/api/selections/{selection['id']}", headers=headers).json()["choice"]["generation_id"] \
        == second
    page = client.get(f"/c/{token}")
    assert "Согласовано" in page.text and "Выбираю этот" not in page.text and "card.pdf" in page.text
    assert client.post(f"/api/selections/{selection['id']}/agree", headers=headers).status_code == 200  # twice: ok
    r = client.patch(f"/api/selections/{selection['id']}", headers=headers, json={"generation_ids": [first]})
    assert r.status_code == 409


def test_comment_limits(client, register, design_factory):
    user, headers = register()
    design = design_factory(user["id"])
    token = make_selection(client, headers, [design])["token"]

    ok = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design, "comment": "ё" * 1000})
    assert ok.status_code == 200, ok.text
    long = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design, "comment": "ё" * 1001})
    assert long.status_code == 422 and "максимум 1000" in long.json()["detail"]
    form = client.post(f"/c/{token}/choice", headers=SAME_SITE, data={"pick": f"{design}:0", "comment": "ж" * 1001})
    assert form.status_code == 422 and "максимум 1000" in form.text
    assert "ж" * 1001 in form.text  # what was typed is given back to shorten, not lost
    for field, value in (("name", "и" * 81), ("phone", "1" * 41), ("comment", "a\x00b")):
        r = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design, field: value})
        assert r.status_code in (400, 422), (field, r.text)
    huge = client.post(f"/c/{token}/choice", headers={**SAME_SITE, "Content-Type": "application/json"},
                       content=b'{"generation_id": "x", "comment": "' + b"a" * 20000 + b'"}')
    assert huge.status_code == 413
    r = client.post(f"/c/{token}/choice", headers=SAME_SITE, files={"generation_id": ("a", b"b")})
    assert r.status_code == 415


def test_cross_site_form_posts_are_refused(client, register, design_factory):
    user, headers = register()
    design = design_factory(user["id"])
    selection = make_selection(client, headers, [design])
    token = selection["token"]
    for hostile in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page"}):
        r = client.post(f"/c/{token}/choice", headers=hostile, data={"pick": f"{design}:0"})
        assert r.status_code == 403 and "только со страницы подборки" in r.text, hostile
    assert client.get(f"/api/selections/{selection['id']}", headers=headers).json()["choice"] is None
    for friendly in ({"Origin": "http://testserver"}, {"Referer": f"http://testserver/c/{token}"}, {}):
        r = client.post(f"/c/{token}/choice", headers=friendly, data={"pick": f"{design}:0"})
        assert r.status_code == 200, (friendly, r.text)


@pytest.mark.parametrize("settings_overrides", [{"customer_choice_limit": "3 per minute"}])
def test_answers_are_rate_limited_per_client(client, register, design_factory):
    user, headers = register()
    design = design_factory(user["id"])
    token = make_selection(client, headers, [design])["token"]
    for _ in range(3):
        assert client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design}).status_code == 200
    r = client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design})
    assert r.status_code == 429 and "Слишком много запросов" in r.json()["detail"]
    assert int(r.headers["retry-after"]) >= 1
    form = client.post(f"/c/{token}/choice", headers=SAME_SITE, data={"pick": f"{design}:0"})
    assert form.status_code == 429 and "Слишком много запросов" in form.text


def test_deleting_a_design_removes_it_and_deleting_the_account_kills_the_selections(
        client, register, design_factory, services, admin_headers):
    user, headers = register()
    first, second = design_factory(user["id"]), design_factory(user["id"])
    selection = make_selection(client, headers, [first, second])
    assert client.delete(f"/api/generations/{first}", headers=headers).status_code == 204
    assert client.get(f"/api/selections/{selection['id']}", headers=headers).json()["generation_ids"] == [second]
    assert client.get(f"/c/{selection['token']}/images/{first}/0.png").status_code == 404
    r = client.post(f"/c/{selection['token']}/choice", headers=SAME_SITE, json={"generation_id": first})
    assert r.status_code == 422

    assert client.delete(f"/api/admin/users/{user['id']}", headers=admin_headers).status_code == 204
    with services.session() as session:
        assert session.get(Selection, selection["id"]) is None
    assert client.get(f"/c/{selection['token']}").status_code == 404


def test_a_blocked_chefs_links_stop(client, register, design_factory, admin_headers):
    user, headers = register()
    token = make_selection(client, headers, [design_factory(user["id"])])["token"]
    assert client.post(f"/api/admin/users/{user['id']}/block", headers=admin_headers).status_code == 200
    assert client.get(f"/c/{token}").status_code == 404


@pytest.mark.parametrize("settings_overrides", [{"customer_page_limit": "2 per minute"}])
def test_page_views_are_rate_limited_per_client(client, register, design_factory):
    user, headers = register()
    token = make_selection(client, headers, [design_factory(user["id"])], expires_in_days=2)["token"]
    first = client.get(f"/c/{token}")
    assert first.status_code == 200 and "Ссылка действует до" in first.text
    assert client.get(f"/c/{token}").status_code == 200
    refused = client.get(f"/c/{token}")
    assert refused.status_code == 429 and "Слишком много запросов" in refused.text
