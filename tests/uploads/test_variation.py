"""A variation of a customer's photo (img2img) through the real worker on the tiny models, SQLite and PostgreSQL,
local store and S3: charged like any generation; another user's (or a deleted) photo is not found (no worker needed)."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.helpers import both_stores
from tests.uploads.test_api import picture


def photo(colour) -> bytes:
    image = Image.new("RGB", (640, 480), colour)
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def upload(client, headers, data) -> str:
    r = client.post("/api/uploads", headers=headers, files={"file": ("photo.jpg", data, "image/jpeg")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def pixels(stack, url, headers) -> np.ndarray:
    r = stack.client.get(url, headers=headers, follow_redirects=False)
    if r.status_code == 307:
        import httpx

        r = httpx.get(r.headers["location"])
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"), dtype=np.float64)


@both_stores
def test_variation_of_an_uploaded_photo_is_charged_like_any_generation(stack):
    headers = stack.user(deposit=100)
    red = upload(stack.client, headers, photo((220, 30, 30)))
    blue = upload(stack.client, headers, photo((30, 30, 220)))
    balance = stack.client.get("/api/me/balance", headers=headers).json()["balance"]
    from tortodelova.billing.pricing import price

    cost = price(size="square", quality="fast", variants=1)

    made = {}
    for name, upload_id in (("red", red), ("blue", blue)):
        r = stack.client.post("/api/generations", headers=headers, json={
            "prompt": "Торт как на фото", "quality": "fast", "init_upload_id": upload_id, "strength": 0.3,
            "seed": 7})
        assert r.status_code == 202, r.text
        assert r.json()["init_upload_id"] == upload_id and r.json()["strength"] == 0.3
        done = stack.wait(r.json()["id"], headers)
        assert done["status"] == "succeeded", done
        made[name] = pixels(stack, done["images"][0]["url"], headers)

    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == balance - 2 * cost
    # Same seed, same prompt: only the photo differs, and each variation keeps its photo's colour.
    red_mean, blue_mean = made["red"].mean(axis=(0, 1)), made["blue"].mean(axis=(0, 1))
    assert red_mean[0] - red_mean[2] > blue_mean[0] - blue_mean[2]


def test_another_users_or_a_deleted_photo_is_not_found_and_not_charged(client, register):
    """Refused before anything is charged or queued: the plain app (no worker, no models) is enough."""
    _owner, owner = register()
    _stranger, stranger = register()
    upload_id = upload(client, owner, picture("PNG"))
    before = client.get("/api/me/balance", headers=stranger).json()["balance"]

    r = client.post("/api/generations", headers=stranger, json={"prompt": "Торт", "init_upload_id": upload_id})
    assert r.status_code == 404, r.text
    assert "Фото-образец не найдено" in r.json()["detail"]
    assert client.get("/api/me/balance", headers=stranger).json()["balance"] == before

    assert client.delete(f"/api/uploads/{upload_id}", headers=owner).status_code == 204
    r = client.post("/api/generations", headers=owner, json={"prompt": "Торт", "init_upload_id": upload_id})
    assert r.status_code == 404
