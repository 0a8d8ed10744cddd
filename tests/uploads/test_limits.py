"""Issue 18: what one user's uploads may cost the service. A 65 KiB PNG declaring 4800×4800 passed the 24 Mpx check
and was decoded (12 in parallel added 2 GB), and /api/uploads had no rate or quota (100 × 1 MB in 2 s)."""
from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.uploads.test_api import picture, png_header_only, upload


@pytest.fixture
def make_client(make_settings, database_url, storage_settings):
    from tortodelova.server import build_services, create_app

    made = []

    def make(**overrides) -> TestClient:
        services = build_services(make_settings(database_url=database_url, **storage_settings, **overrides))
        client = TestClient(create_app(services=services, ui=False))
        client.__enter__()
        made.append((client, services))
        return client

    yield make
    for client, services in made:
        client.__exit__(None, None, None)
        services.engine.dispose()


def test_a_small_png_declaring_4800_by_4800_is_refused_before_decoding(client, register):
    _, headers = register()
    bomb = png_header_only(4800, 4800)
    assert len(bomb) < 70 * 1024
    r = upload(client, headers, bomb)
    assert r.status_code == 413, r.text
    assert "Изображение слишком большое: 4800×4800" in r.json()["detail"] and "16 Мп" in r.json()["detail"]


def test_a_large_jpeg_is_decoded_reduced_and_stored_at_most_2048_a_side(client, register):
    _, headers = register()
    out = io.BytesIO()
    Image.new("RGB", (4096, 3072), (220, 180, 190)).save(out, format="JPEG", quality=80)
    r = upload(client, headers, out.getvalue(), name="big.jpg", content_type="image/jpeg")
    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (2048, 1536)


def test_decodes_at_once_are_bounded_and_a_waiting_one_is_told_to_retry(make_client, monkeypatch):
    from tortodelova.uploads import service

    client = make_client(upload_decode_concurrency=1)
    email = "waiter@example.com"
    client.post("/api/auth/register", json={"email": email, "password": "password-123"})
    token = client.post("/api/auth/login", json={"email": email, "password": "password-123"}).json()["access_token"]
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    monkeypatch.setattr(service, "DECODE_WAIT_SECONDS", 0.2)
    slots = service._decode_slots(1)
    assert slots.acquire(timeout=5)  # another photo is being decoded
    try:
        r = upload(client, headers, picture())
    finally:
        slots.release()
    assert r.status_code == 503 and "много фото" in r.json()["detail"], r.text
    assert upload(client, headers, picture()).status_code == 201


def _signed_in(client, email: str) -> dict:
    client.post("/api/auth/register", json={"email": email, "password": "password-123"})
    token = client.post("/api/auth/login", json={"email": email, "password": "password-123"}).json()["access_token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def test_uploads_per_user_are_rate_limited(make_client):
    client = make_client(upload_user_limit="3 per hour")
    chef, other = _signed_in(client, "fast@example.com"), _signed_in(client, "calm@example.com")
    codes = [upload(client, chef, picture()).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429], codes
    r = upload(client, chef, picture())
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Слишком много загрузок фото" in r.json()["detail"]
    assert upload(client, other, picture()).status_code == 201  # per user, not for everyone


def test_uploads_kept_per_user_are_capped_until_one_is_deleted(make_client):
    client = make_client(upload_user_quota=2)
    chef = _signed_in(client, "keeper@example.com")
    first = upload(client, chef, picture()).json()["id"]
    assert upload(client, chef, picture()).status_code == 201
    r = upload(client, chef, picture())
    assert r.status_code == 409 and "Удалите ненужные" in r.json()["detail"], r.text
    assert client.delete(f"/api/uploads/{first}", headers=chef).status_code == 204
    assert upload(client, chef, picture()).status_code == 201
