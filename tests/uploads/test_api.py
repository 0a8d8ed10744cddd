"""POST/DELETE /api/uploads on SQLite and PostgreSQL, local store and real S3: the photo is checked from its header,
turned upright, re-encoded and stored in the owner's space; anything else gets a clear 4xx in Russian."""
from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.helpers import both_stores


def picture(fmt: str = "PNG", size=(120, 80), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, (200, 120, 60) if mode == "RGB" else None)
    image.paste((30, 60, 200) if mode == "RGB" else (30, 60, 200, 128), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height over a few bytes of data: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = chunk(b"IDAT", zlib.compress(b"\0" * 1024))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + data + chunk(b"IEND", b"")


def upload(client, headers, data: bytes, name="photo.png", content_type="image/png"):
    return client.post("/api/uploads", headers=headers, files={"file": (name, data, content_type)})


def stored(client, upload_id: str) -> tuple[str, bytes]:
    from tortodelova.uploads.models import Upload

    services = client.app.state.services
    with services.session() as session:
        key = session.get(Upload, upload_id).key
    return key, services.store.get(key)


@both_stores
@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_each_format_is_stored_re_encoded_in_the_owners_space(client, register, fmt, content_type):
    user, headers = register()

    r = upload(client, headers, picture(fmt), name=f"photo.{fmt.lower()}", content_type=content_type)

    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (120, 80)
    key, data = stored(client, body["id"])
    assert key == f"users/{user['id']}/uploads/{body['id']}.jpg"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (120, 80)


@both_stores
def test_exif_rotation_is_applied_and_the_metadata_dropped(client, register):
    _, headers = register()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "ПекарняКамера"  # Make: must not survive the re-encode
    photo = picture("JPEG", size=(160, 90), exif=exif.tobytes())

    r = upload(client, headers, photo, name="photo.jpg", content_type="image/jpeg")

    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (90, 160)
    _, data = stored(client, r.json()["id"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (90, 160)
        assert not image.getexif()
        # The blue corner (top-left before the turn) is now at the top right.
        red, green, blue = image.convert("RGB").getpixel((80, 5))
        assert blue > 150 and red < 100


@both_stores
def test_transparent_png_is_flattened_on_white(client, register):
    _, headers = register()
    r = upload(client, headers, picture("PNG", mode="RGBA", size=(100, 100)))
    assert r.status_code == 201, r.text
    _, data = stored(client, r.json()["id"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGB"
        assert min(image.getpixel((90, 90))) > 240  # the transparent part is white, not black


def test_anonymous_is_refused_with_401(client):
    r = upload(client, {}, picture())
    assert r.status_code == 401
    assert "вход" in r.json()["detail"].lower()


@pytest.mark.parametrize("data, name, content_type", [
    (b"not an image at all, just words", "notes.png", "image/png"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "card.pdf", "application/pdf"),
])
def test_a_non_image_is_refused_with_415(client, register, data, name, content_type):
    _, headers = register()
    r = upload(client, headers, data, name=name, content_type=content_type)
    assert r.status_code == 415, r.text
    assert "PNG, JPEG или WebP" in r.json()["detail"]


def test_a_gif_is_not_one_of_the_formats(client, register):
    _, headers = register()
    r = upload(client, headers, picture("GIF"), name="cake.gif", content_type="image/gif")
    assert r.status_code == 415


def test_a_truncated_image_is_refused_with_422(client, register):
    _, headers = register()
    data = picture("PNG", size=(300, 300))
    r = upload(client, headers, data[: len(data) // 2])
    assert r.status_code == 422, r.text
    assert "повреждён" in r.json()["detail"]


@pytest.mark.parametrize("width, height", [(30000, 30000), (12000, 9000), (5000, 5000)])
def test_a_decompression_bomb_is_refused_from_its_header(client, register, width, height):
    _, headers = register()
    r = upload(client, headers, png_header_only(width, height))
    assert r.status_code == 413, r.text
    assert "Изображение слишком большое" in r.json()["detail"]


def test_too_many_pixels_on_one_side_is_refused(client, register):
    _, headers = register()
    r = upload(client, headers, picture("PNG", size=(6001, 64)))
    assert r.status_code == 413
    assert "6000" in r.json()["detail"]


def test_a_tiny_image_is_refused(client, register):
    _, headers = register()
    r = upload(client, headers, picture("PNG", size=(20, 20)))
    assert r.status_code == 422
    assert "маленькое" in r.json()["detail"]


def test_not_multipart_or_without_the_file_field(client, register):
    _, headers = register()
    r = client.post("/api/uploads", headers=headers, json={"file": "x"})
    assert r.status_code == 415
    r = client.post("/api/uploads", headers=headers, files={"photo": ("a.png", picture(), "image/png")})
    assert r.status_code == 422
    assert "file" in r.json()["detail"]


@pytest.fixture
def small_limit_client(make_settings, database_url, storage_settings):
    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=database_url, max_upload_bytes=64 * 1024,
                                            **storage_settings))
    with TestClient(create_app(services=services, ui=False)) as client:
        yield client
    services.engine.dispose()


def _headers(client) -> dict:
    email, password = "big@example.com", "кремовый-торт-123"
    assert client.post("/api/auth/register", json={"email": email, "password": password}).status_code == 201
    token = client.post("/api/auth/login", json={"email": email, "password": password}).json()["access_token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


@both_stores
def test_an_oversized_file_is_refused_with_413_and_nothing_is_stored(small_limit_client):
    from sqlalchemy import func, select

    from tortodelova.uploads.models import Upload

    client = small_limit_client
    headers = _headers(client)
    noisy = Image.frombytes("RGB", (170, 170), random.Random(5).randbytes(170 * 170 * 3))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert 64 * 1024 < len(out.getvalue()) < 64 * 1024 + 64 * 1024  # inside the framing allowance: the view decides

    r = upload(client, headers, out.getvalue())

    assert r.status_code == 413, r.text
    assert "слишком большой" in r.json()["detail"]
    with client.app.state.services.session() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 0
    # Far over the limit: refused from Content-Length by the edge, before the body is read.
    r = upload(client, headers, b"\0" * (2 * 1024 * 1024))
    assert r.status_code == 413


@both_stores
def test_delete_own_upload_removes_the_object_and_others_get_404(client, register):
    from tortodelova.storage import ObjectMissing

    _, owner = register()
    _, stranger = register()
    upload_id = upload(client, owner, picture()).json()["id"]
    key, _ = stored(client, upload_id)

    assert client.delete(f"/api/uploads/{upload_id}", headers=stranger).status_code == 404
    assert client.app.state.services.store.get(key)  # still there

    assert client.delete(f"/api/uploads/{upload_id}", headers=owner).status_code == 204
    with pytest.raises(ObjectMissing):
        client.app.state.services.store.get(key)
    assert client.delete(f"/api/uploads/{upload_id}", headers=owner).status_code == 404
    assert client.delete("/api/uploads/" + "x" * 300, headers=owner).status_code == 404
