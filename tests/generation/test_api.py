"""The generation REST routes through a real in-process Huey consumer with the tiny models, on SQLite and PostgreSQL:
charge on submit, images stored on success, validation in Russian, cancel, ownership, share, delete.
(Moved from tests/jobs/test_flow.py; assertions only added.)"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.generation.helpers import kinds, ledger_ok
from tortodelova.generation.models import Generation
from tortodelova.storage import ObjectMissing


def test_generate_two_variants_end_to_end(stack):
    headers = stack.user(deposit=100)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "нежный двухъярусный торт с мастикой цвета пыльной розы и живыми цветами",
        "style": "wedding", "variants": 2, "quality": "fast", "seed": 1234})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["cost"] == 10 and created["seeds"] == [1234, 1235]
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == 120
    done = stack.wait(created["id"], headers)
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["queue_position"] is None
    assert "two-tier" in done["prompt_en"] and "fondant" in done["prompt_en"]
    assert {"ru": "мастикой", "en": "fondant", "personal": False} in done["terms"]  # the shared glossary's term
    assert [i["seed"] for i in done["images"]] == [1234, 1235]
    for image in done["images"]:
        png = stack.client.get(image["download_url"], headers=headers)
        assert png.status_code == 200
        assert png.headers["content-disposition"].startswith("attachment;")
        picture = Image.open(io.BytesIO(png.content))
        assert picture.size == (512, 512)
        assert picture.text["seed"] == str(image["seed"])
        assert "fondant" in picture.text["prompt"] and picture.text["prompt_ru"].startswith("нежный")
        # The same bytes as storage holds.
        with stack.services.session() as session:
            key = session.get(Generation, done["id"]).image_keys[image["index"]]
        assert png.content == stack.services.store.get(key)
        shown = stack.client.get(image["url"], headers=headers)
        assert shown.status_code == 200 and shown.content == png.content
        signed = stack.client.get(image["signed_url"])
        assert signed.status_code == 200 and signed.content == png.content
    assert kinds(stack, done["id"]) == ["charge"]
    ledger_ok(stack, headers)


def test_user_edited_english_prompt_is_used_as_is(stack):
    headers = stack.user(deposit=10)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "шоколадный торт", "prompt_en": "a tall chocolate cake with gold leaf", "quality": "fast"})
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded"
    assert done["prompt_en"] == "a tall chocolate cake with gold leaf"


def test_translate_preview_is_free(stack):
    headers = stack.user()
    before = stack.client.get("/api/me/balance", headers=headers).json()["balance"]
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт с безе и ганашем"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "meringue" in body["prompt_en"] and "ganache" in body["prompt_en"]
    assert {t["en"] for t in body["terms"]} >= {"meringue kisses", "ganache"}
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == before
    too_long = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт " * 200})
    assert too_long.status_code == 422 and "слишком длинный" in too_long.json()["detail"]
    assert stack.client.post("/api/translate", json={"prompt": "торт"}).status_code == 401


def test_variation_of_own_design(stack):
    headers = stack.user(deposit=50)
    first = stack.wait(stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт с клубникой", "quality": "fast"}).json()["id"], headers)
    r = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт с клубникой", "quality": "fast", "init_generation_id": first["id"], "init_index": 0,
        "strength": 0.5})
    assert r.status_code == 202, r.text
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded" and done["init_generation_id"] == first["id"]
    bad = stack.client.post("/api/generations", headers=headers, json={
        "prompt": "торт", "init_generation_id": first["id"], "init_index": 0, "strength": 1.5})
    assert bad.status_code == 422


def test_not_enough_credits_is_402_and_charges_nothing(stack):
    headers = stack.user()  # the welcome credits only
    r = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт", "variants": 4,
                                                                     "size": "portrait"})
    assert r.status_code == 402
    assert "Недостаточно кредитов" in r.json()["detail"]
    assert stack.client.get("/api/generations", headers=headers).json()["total"] == 0
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits


@pytest.mark.parametrize("body,fragment", [
    ({}, "Описание"), ({"prompt": "   "}, "Описание"), ({"prompt": "т" * 501}, "слишком длинный"),
    ({"prompt": "торт", "style": "baroque"}, "стиль"), ({"prompt": "торт", "size": "huge"}, "размер"),
    ({"prompt": "торт", "variants": 0}, "вариантов"), ({"prompt": "торт", "variants": "many"}, "вариантов"),
    ({"prompt": "торт", "quality": "ultra"}, "качество"), ({"prompt": "торт", "seed": -1}, "Seed"),
    ({"prompt": "торт", "seed": 2**40}, "Seed"), ({"prompt": 12345}, "текст"),
    ({"prompt": "торт", "init_generation_id": "nope"}, "не найден"),
])
def test_bad_generation_requests(make_stack, body, fragment):
    stack = make_stack(consumer=False)
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers, json=body)
    assert 400 <= r.status_code < 500 and r.status_code != 402, r.text
    assert fragment in r.json()["detail"]
    assert stack.client.get("/api/generations", headers=headers).json()["total"] == 0
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits


def test_cancel_queued_refunds_at_once(make_stack):
    stack = make_stack(consumer=False)
    headers = stack.user()
    generation_id = stack.client.post("/api/generations", headers=headers, json={"prompt": "торт"}).json()["id"]
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["queue_position"] == 1
    r = stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert kinds(stack, generation_id) == ["charge", "refund"]
    assert ledger_ok(stack, headers)["balance"] == stack.settings.welcome_credits
    assert stack.client.post(f"/api/generations/{generation_id}/cancel", headers=headers).status_code == 409
    # The worker that picks the stale task later skips it.
    stack.start_consumer()
    import time

    time.sleep(1.5)
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).json()["status"] == "cancelled"
    assert kinds(stack, generation_id) == ["charge", "refund"]


def test_another_users_generation_is_404_everywhere(stack):
    owner = stack.user(deposit=20)
    intruder = stack.user(deposit=20)
    generation_id = stack.client.post("/api/generations", headers=owner,
                                      json={"prompt": "торт", "quality": "fast"}).json()["id"]
    assert stack.wait(generation_id, owner)["status"] == "succeeded"
    c = stack.client
    base = f"/api/generations/{generation_id}"
    answers = {
        "get": c.get(base, headers=intruder), "preview": c.get(f"{base}/preview", headers=intruder),
        "image": c.get(f"{base}/images/0", headers=intruder),
        "download": c.get(f"{base}/images/0/download", headers=intruder),
        "cancel": c.post(f"{base}/cancel", headers=intruder), "share": c.post(f"{base}/share", headers=intruder),
        "unshare": c.delete(f"{base}/share", headers=intruder), "delete": c.delete(base, headers=intruder),
        "variation": c.post("/api/generations", headers=intruder, json={
            "prompt": "торт", "init_generation_id": generation_id, "init_index": 0, "strength": 0.5}),
    }
    for name, r in answers.items():
        assert r.status_code == 404, (name, r.status_code, r.text)
    assert c.get("/api/generations", headers=intruder).json()["total"] == 0
    forged = c.get(f"/api/images/{generation_id}/0.png?expires=99999999999&sig=deadbeef")
    assert forged.status_code == 404
    # Nothing happened to the owner's design.
    assert c.get(base, headers=owner).json()["status"] == "succeeded"
    assert c.get(f"{base}/images/0", headers=owner).status_code == 200


def test_share_link_and_delete(stack):
    headers = stack.user(deposit=20)
    generation_id = stack.client.post("/api/generations", headers=headers,
                                      json={"prompt": "голый торт с ягодами", "quality": "fast"}).json()["id"]
    stack.wait(generation_id, headers)
    link = stack.client.post(f"/api/generations/{generation_id}/share", headers=headers).json()
    assert link["url"].endswith(f"/s/{link['token']}")
    page = stack.client.get(f"/s/{link['token']}")
    assert page.status_code == 200
    assert 'property="og:image"' in page.text and "голый торт с ягодами" in page.text
    assert stack.client.get(f"/s/{link['token']}/images/0.png").status_code == 200
    assert stack.client.delete(f"/api/generations/{generation_id}/share", headers=headers).status_code == 204
    assert stack.client.get(f"/s/{link['token']}").status_code == 404
    assert stack.client.get(f"/s/{link['token']}/images/0.png").status_code == 404
    with stack.services.session() as session:
        key = session.get(Generation, generation_id).image_keys[0]
    assert stack.client.delete(f"/api/generations/{generation_id}", headers=headers).status_code == 204
    assert stack.client.get(f"/api/generations/{generation_id}", headers=headers).status_code == 404
    with pytest.raises(ObjectMissing):
        stack.services.store.get(key)


def test_inscription_only_prompt_makes_a_plaque_cake(stack):
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers,
                          json={"prompt": "надпись «С юбилеем!»", "quality": "fast"})
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded", done
    # v2 (API.md): the inscription is an object {"text", "font", "color", "position"}; v1 returned the bare text.
    assert done["inscription"]["text"] == "С юбилеем!" and "cake" in done["prompt_en"]
    assert done["inscription"]["font"] == "script" and done["inscription"]["position"] == "plaque"
