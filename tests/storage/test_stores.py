"""Both image stores against the real thing: a local directory and a signature-checking S3 server (SeaweedFS)."""
from __future__ import annotations

import io
import urllib.parse

import httpx
import pytest
from PIL import Image

from tortodelova.errors import InvalidInput
from tortodelova.storage import ObjectMissing, StorageUnavailable, image_key, make_store


def png(color=(200, 120, 130), size=(16, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def store(make_settings, storage_settings):
    return make_store(make_settings(**storage_settings))


def test_put_get_stream_size_delete(store):
    key = image_key(owner="users/7", generation_id="0b7c2f0e-1111-4a4a-9b9b-123456789abc", index=0)
    data = png()
    store.put(key, data)
    assert store.get(key) == data
    assert b"".join(store.stream(key, chunk_size=7)) == data
    assert store.size(key) == len(data)
    store.delete(key)
    with pytest.raises(ObjectMissing):
        store.get(key)
    with pytest.raises(ObjectMissing):
        store.size(key)
    assert store.health() == "ok"


@pytest.mark.parametrize("key", ["../etc/passwd", "users/1/../../x.png", "/abs/x.png", "users/1/a b/0.png",
                                 "users//0.png", "users/1/g/0.exe", ""])
def test_keys_cannot_escape(store, key):
    with pytest.raises((InvalidInput, ObjectMissing)):
        store.put(key, b"x")
    with pytest.raises((InvalidInput, ObjectMissing)):
        store.get(key)


def test_local_store_has_no_public_url(make_settings):
    store = make_store(make_settings())
    key = "users/1/abc/0.png"
    store.put(key, png())
    assert store.presign(key, 60) is None


def test_presigned_url_reads_only_its_object(make_settings, s3_server, s3_bucket):
    from tests.helpers import s3_settings

    store = make_store(make_settings(**s3_settings(s3_server, s3_bucket)))
    mine, other = "users/1/gen-a/0.png", "users/2/gen-b/0.png"
    store.put(mine, png((10, 20, 30)))
    store.put(other, png((200, 0, 0)))
    url = store.presign(mine, 60)
    assert httpx.get(url).content == store.get(mine)
    # The same signature on another key is refused by the server.
    forged = url.replace("users/1/gen-a/0.png", "users/2/gen-b/0.png")
    assert forged != url
    assert httpx.get(forged).status_code == 403
    # A tampered signature is refused; an unsigned GET is refused (the bucket is private).
    parsed = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parsed.query)
    query["X-Amz-Signature"] = ["0" * 64]
    tampered = urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query, doseq=True)))
    assert httpx.get(tampered).status_code == 403
    assert httpx.get(f"http://{s3_server}/{s3_bucket}/{mine}").status_code in (401, 403)


def test_presigned_url_uses_public_endpoint(make_settings, s3_server, s3_bucket):
    from tests.helpers import s3_settings

    values = s3_settings(s3_server, s3_bucket) | {"s3_public_endpoint": "cdn.example.com:9000",
                                                   "s3_public_secure": True}
    store = make_store(make_settings(**values))
    url = store.presign("users/1/g/0.png", 60)
    assert url.startswith(f"https://cdn.example.com:9000/{s3_bucket}/users/1/g/0.png?")


def test_wrong_secret_is_refused_cleanly(make_settings, s3_server, s3_bucket):
    from tests.helpers import s3_settings

    store = make_store(make_settings(**(s3_settings(s3_server, s3_bucket) | {"s3_secret_key": "wrong-secret"})))
    with pytest.raises(StorageUnavailable):
        store.put("users/1/g/0.png", png())


def test_unreachable_s3_fails_fast_with_storage_unavailable(make_settings):
    from tests.helpers import free_port

    store = make_store(make_settings(s3_endpoint=f"127.0.0.1:{free_port()}", s3_access_key="a",
                                     s3_secret_key="b"))
    with pytest.raises(StorageUnavailable):
        store.put("users/1/g/0.png", png())
    assert store.health() == "unavailable"


def test_local_folders_are_not_listable_by_other_users(make_settings):
    """Issue 18 (info): folders created for images were 0755 (the umask's default), in production too."""
    import os
    import stat

    settings = make_settings()
    old = os.umask(0o022)
    try:
        store = make_store(settings)
        store.put(image_key(owner="users/7", generation_id="0b7c2f0e-1111-4a4a-9b9b-123456789abc", index=0), png())
    finally:
        os.umask(old)
    folders = [p for p in settings.images_dir.rglob("*") if p.is_dir()]
    assert len(folders) >= 2, folders
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, (folder, oct(folder.stat().st_mode))
