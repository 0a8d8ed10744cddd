"""«Скачать все мои дизайны»: the ZIP is streamed from the store (local disk and S3) with bounded memory, and it
holds every image, its plain copy and designs.json."""
from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from contextlib import contextmanager

import httpx
import psutil
import uvicorn

from tests.helpers import free_port, wait_for_health
from tests.lifecycle.designs import make_designs
from tortodelova.accounts import service as accounts
from tortodelova.billing import onboarding

DESIGNS = 50
IMAGE_BYTES = 1536 * 1024  # a large design PNG: 50 of them (and 10 plain copies) make a ~90 MiB archive
RSS_GROWTH_LIMIT = 24 * 1024 * 1024


@contextmanager
def live(services):
    from tortodelova.server import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services=services, ui=False), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, timeout=30, alive=thread.is_alive)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


class PeakRSS:
    """Samples this process's resident memory (the server runs in it) every 5 ms."""

    def __init__(self):
        self.process, self.peak, self.running = psutil.Process(), 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self):
        self.start = self.process.memory_info().rss
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def user_headers(services, email: str) -> tuple[int, dict]:
    with services.session_factory() as session:
        user = onboarding.register(session=session, settings=services.settings, email=email,
                                   password="кремовый-торт-123")
        token = accounts.issue_token(settings=services.settings, user=user).access_token
    return user.id, {"Authorization": f"Bearer {token}"}


def test_export_of_50_designs_streams_with_bounded_memory(store_services, tmp_path):
    services = store_services
    user_id, headers = user_headers(services, "olga@mail.ru")
    warm_id, warm_headers = user_headers(services, "warm@mail.ru")
    payload = os.urandom(IMAGE_BYTES)
    designs = make_designs(services, user_id, DESIGNS, payload=payload)
    make_designs(services, warm_id, 1)
    target = tmp_path / "export.zip"
    with live(services) as url, httpx.Client(base_url=url, timeout=60) as client:
        # Warm up on a one-design account (imports, pools, the first S3 connection): a big warm-up would leave the
        # allocator's pages resident and hide the growth this test is about.
        assert client.get("/api/me/export", headers=warm_headers).status_code == 200
        with PeakRSS() as rss, client.stream("GET", "/api/me/export", headers=headers) as response, \
                target.open("wb") as out:
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/zip"
            assert "attachment" in response.headers["content-disposition"]
            for chunk in response.iter_bytes():
                out.write(chunk)
    size, growth = target.stat().st_size, rss.peak - rss.start
    print(f"\nexport of {DESIGNS} designs ({services.settings.uses_s3 and 'S3' or 'local'}): "
          f"{size / 2**20:.1f} MiB streamed, RSS {rss.start / 2**20:.1f} MiB -> peak {rss.peak / 2**20:.1f} MiB "
          f"(+{growth / 2**20:.1f} MiB)")
    assert size > DESIGNS * IMAGE_BYTES  # the whole archive went through ...
    assert growth < RSS_GROWTH_LIMIT, f"RSS grew by {growth / 2**20:.1f} MiB"  # ... never held whole in memory
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        index = json.loads(archive.read("designs.json"))["designs"]
        assert len(index) == DESIGNS and len([n for n in names if n.endswith("-plain.png")]) == DESIGNS // 5
        assert len([n for n in names if n.startswith("designs/")]) == DESIGNS + DESIGNS // 5
        first = index[0]
        assert first["prompt_ru"] == "Торт №0 с клубникой" and first["prompt_en"] == "cake number 0 with strawberries"
        assert {"seed", "size", "quality", "style", "created_at", "width", "height"} <= set(first)
        assert first["seed"] == 1000 and first["size"] == "square" and first["quality"] == "standard"
        assert archive.read(first["files"][0]) == payload
        assert archive.read(first["files"][1]) == payload[::-1]  # the plain copy
    assert designs[0].id in {item["id"] for item in index}


def test_export_needs_a_session_and_holds_only_ones_own_designs(store_services):
    from fastapi.testclient import TestClient

    from tortodelova.server import create_app

    services = store_services
    user_id, _headers = user_headers(services, "olga@mail.ru")
    other_id, other_headers = user_headers(services, "anna@mail.ru")
    make_designs(services, user_id, 2)
    make_designs(services, other_id, 1)
    with TestClient(create_app(services=services, ui=False)) as client:
        assert client.get("/api/me/export").status_code == 401
        r = client.get("/api/me/export", headers=other_headers)
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        assert len(json.loads(archive.read("designs.json"))["designs"]) == 1
        assert len([n for n in archive.namelist() if n.endswith(".png")]) == 2  # one image, one plain copy
        empty = client.get("/api/me/export", headers=user_headers(services, "new@mail.ru")[1])
        assert json.loads(zipfile.ZipFile(io.BytesIO(empty.content)).read("designs.json")) == {"designs": []}
