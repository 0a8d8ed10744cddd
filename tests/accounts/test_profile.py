"""GET/PATCH /api/me/profile: the baker's name and contact for the customer card (SQLite and PostgreSQL)."""
import pytest


def test_profile_starts_empty_and_patches_field_by_field(client, register):
    _, headers = register()
    assert client.get("/api/me/profile", headers=headers).json() == {"display_name": None, "contact": None}

    r = client.patch("/api/me/profile", headers=headers, json={"display_name": "  Марина   Кондитер "})
    assert r.status_code == 200
    assert r.json() == {"display_name": "Марина Кондитер", "contact": None}
    r = client.patch("/api/me/profile", headers=headers, json={"contact": "t.me/marina_cakes"})
    assert r.json() == {"display_name": "Марина Кондитер", "contact": "t.me/marina_cakes"}
    # null or an empty string clears one field; the other stays.
    r = client.patch("/api/me/profile", headers=headers, json={"display_name": ""})
    assert r.json() == {"display_name": None, "contact": "t.me/marina_cakes"}
    assert client.get("/api/me/profile", headers=headers).json()["contact"] == "t.me/marina_cakes"


def test_profile_is_per_user(client, register):
    _, first = register()
    _, second = register()
    client.patch("/api/me/profile", headers=first, json={"display_name": "Первая"})
    assert client.get("/api/me/profile", headers=second).json()["display_name"] is None


@pytest.mark.parametrize("body, message", [
    ({"display_name": "М" * 81}, "слишком длинно (81 символов, можно до 80)"),
    ({"contact": "к" * 201}, "можно до 200"),
    ({"display_name": "Марина\x1b[31m"}, "недопустимые символы"),
    ({"display_name": 42}, "нужен текст"),
    ({"contact": ["a"]}, "нужен текст"),
    ({"email": "x@example.com"}, "Неизвестные поля профиля: email"),
    ([1, 2], "Ожидается объект"),
    ("Марина", "Ожидается объект"),
])
def test_bad_profile_input_is_refused_in_russian(client, register, body, message):
    _, headers = register()
    r = client.patch("/api/me/profile", headers=headers, json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert client.get("/api/me/profile", headers=headers).json() == {"display_name": None, "contact": None}


def test_profile_needs_a_sign_in(client):
    assert client.get("/api/me/profile").status_code == 401
    assert client.patch("/api/me/profile", json={"display_name": "Кто-то"}).status_code == 401
