"""The inscription through the real worker on the tiny models (SQLite and PostgreSQL, local store and S3): drawn on
every picture and read back by OCR, the plain picture kept, re-lettered free of charge, refused before charging."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.helpers import both_stores
from tests.ocr import read_back, similarity, tesseract_or_skip


@pytest.fixture(autouse=True)
def ocr():
    tesseract_or_skip()


def picture(stack, url, headers) -> Image.Image:
    r = stack.client.get(url, headers=headers, follow_redirects=False)
    if r.status_code == 307:  # S3: a presigned URL
        import httpx

        r = httpx.get(r.headers["location"])
    assert r.status_code == 200, r.text
    return Image.open(io.BytesIO(r.content)).convert("RGB")


def design(stack, headers, **body) -> dict:
    r = stack.client.post("/api/generations", headers=headers, json={"quality": "fast", **body})
    assert r.status_code == 202, r.text
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded", done
    return done


def ledger(stack, headers) -> tuple[int, int]:
    me = stack.client.get("/api/me", headers=headers).json()
    items = stack.client.get("/api/me/transactions?limit=100", headers=headers).json()
    return me["balance"], items["total"]


@both_stores
def test_inscription_is_drawn_on_every_picture_and_re_lettered_free_of_charge(stack):
    headers = stack.user(deposit=100)
    done = design(stack, headers, prompt="Свадебный торт с пионами", variants=2,
                  inscription={"text": "Анна и Иван", "font": "sans", "color": "white", "position": "bottom"})

    assert done["inscription"] == {"text": "Анна и Иван", "font": "sans", "color": "white", "position": "bottom"}
    plains = []
    for image in done["images"]:
        shown = picture(stack, image["url"], headers)
        plain = picture(stack, image["plain_url"], headers)
        plains.append(plain)
        assert similarity("Анна и Иван", read_back(shown, color="white", position="bottom")) >= 0.9
        assert similarity("Анна и Иван", read_back(plain, color="white", position="bottom")) < 0.5
    before = ledger(stack, headers)

    r = stack.client.post(f"/api/generations/{done['id']}/inscription", headers=headers,
                          json={"text": "С юбилеем!", "font": "serif", "color": "pink", "position": "top"})

    assert r.status_code == 200, r.text
    assert r.json()["inscription"]["text"] == "С юбилеем!"
    assert ledger(stack, headers) == before  # free: no charge, no new ledger row
    for image, plain in zip(r.json()["images"], plains):
        shown = picture(stack, image["url"], headers)
        assert similarity("С юбилеем!", read_back(shown, color="pink", position="top")) >= 0.8
        assert similarity("Анна и Иван", read_back(shown, color="white", position="bottom")) < 0.5  # old text gone
        assert list(picture(stack, image["plain_url"], headers).getdata()) == list(plain.getdata())

    # null removes the lettering: the picture is the plain one again, and there is no plain_url.
    r = stack.client.post(f"/api/generations/{done['id']}/inscription", content="null",
                          headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["inscription"] is None
    for image, plain in zip(r.json()["images"], plains):
        assert image["plain_url"] is None
        assert list(picture(stack, image["url"], headers).getdata()) == list(plain.getdata())
    assert ledger(stack, headers) == before


@both_stores
def test_the_quoted_text_of_the_prompt_is_drawn_with_the_defaults_and_null_draws_nothing(stack):
    headers = stack.user(deposit=100)
    done = design(stack, headers, prompt="Торт с розами и надписью «С днём рождения»")
    assert done["inscription"] == {"text": "С днём рождения", "font": "script", "color": "gold",
                                   "position": "plaque"}
    shown = picture(stack, done["images"][0]["url"], headers)
    assert similarity("С днём рождения", read_back(shown, color="gold", position="plaque")) >= 0.6

    nothing = design(stack, headers, prompt="Торт с розами и надписью «С днём рождения»", inscription=None)
    assert nothing["inscription"] is None
    assert nothing["images"][0]["plain_url"] is None


@both_stores
def test_a_design_without_inscription_can_be_lettered_later(stack):
    headers = stack.user(deposit=100)
    done = design(stack, headers, prompt="Шоколадный торт с ягодами")
    assert done["inscription"] is None and done["images"][0]["plain_url"] is None
    plain = picture(stack, done["images"][0]["url"], headers)
    before = ledger(stack, headers)

    r = stack.client.post(f"/api/generations/{done['id']}/inscription", headers=headers, json="Маше 5 лет")

    assert r.status_code == 200, r.text
    image = r.json()["images"][0]
    assert list(picture(stack, image["plain_url"], headers).getdata()) == list(plain.getdata())
    assert similarity("Маше 5 лет", read_back(picture(stack, image["url"], headers), color="gold",
                                              position="plaque")) >= 0.6
    assert ledger(stack, headers) == before


@pytest.fixture
def queued(client, register):
    _, owner = register()
    _, stranger = register()
    assert client.post("/api/me/deposit", json={"amount": 50}, headers=owner).status_code == 200
    r = client.post("/api/generations", headers=owner, json={"prompt": "Торт"})
    assert r.status_code == 202, r.text
    return r.json()["id"], owner, stranger


@pytest.mark.parametrize("inscription, message", [
    ({"text": "С днём рождения 🎂"}, "«🎂»"),
    ({"text": "а" * 41}, "максимум 40"),
    ({"text": "Маша", "font": "comic"}, "шрифт"),
])
def test_an_undrawable_inscription_is_refused_before_charging(client, register, settings, inscription, message):
    _, headers = register()
    client.post("/api/me/deposit", json={"amount": 50}, headers=headers)
    r = client.post("/api/generations", headers=headers, json={"prompt": "Торт", "inscription": inscription})
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    balance = client.get("/api/me/balance", headers=headers).json()["balance"]
    assert balance == settings.welcome_credits + 50  # untouched


def test_an_undrawable_inscription_from_the_prompt_is_refused_too(client, register):
    _, headers = register()
    r = client.post("/api/generations", headers=headers, json={"prompt": "Торт с надписью «Люблю 💖»"})
    assert r.status_code == 422, r.text
    assert "Надпись из описания" in r.json()["detail"] and "«💖»" in r.json()["detail"]


def test_re_lettering_refusals(client, queued):
    generation_id, owner, stranger = queued
    url = f"/api/generations/{generation_id}/inscription"
    assert client.post(url, json={"text": "Маша"}).status_code == 401
    assert client.post(url, headers=stranger, json={"text": "Маша"}).status_code == 404
    r = client.post(url, headers=owner, json={"text": "Маша"})
    assert r.status_code == 409 and "готового" in r.json()["detail"]
    r = client.post(url, headers=owner, json={"text": "😀"})
    assert r.status_code == 409  # the design is checked before the text: not finished yet
    r = client.post(url, headers=owner, json={"text": "Маша", "color": "green"})
    assert r.status_code == 422 and "цвет" in r.json()["detail"].lower()
    r = client.post(url, headers=owner, json=[1, 2])
    assert r.status_code == 422
