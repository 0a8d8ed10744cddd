"""Fixtures for the hardening regressions: the app on SQLite and PostgreSQL (local image store), an admin, and a
real uvicorn process on SQLite for what only a real server shows (stalled bodies, throttling over TCP)."""
from __future__ import annotations

import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "кремовый-торт-123"


@pytest.fixture
def admin_headers(client, services, settings):
    """Headers of a signed-in admin (created the way the operator does it)."""
    from tortodelova.accounts import service as accounts

    email = f"boss-{uuid.uuid4().hex[:6]}@example.com"
    with services.session() as session:
        accounts.ensure_admin(session=session, settings=settings, email=email, password=PASSWORD)
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def login(client, email: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class LiveApp:
    """`uvicorn tortodelova.server:create_app --factory` on SQLite, on 127.0.0.1, killed at teardown."""

    def __init__(self, tmp_path: Path, **env):
        from tests.production.stack import service_env

        tmp_path.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "app.log"
        values = {"DATA_DIR": tmp_path / "data", "MODELS_DIR": tmp_path / "no-models",
                  "JWT_SECRET": secrets.token_hex(32), "REQUIRE_MODELS": "false",
                  "QUEUE_NAME": f"live-{uuid.uuid4().hex[:8]}",
                  "REGISTER_CLIENT_LIMIT": "1000 per hour", **env}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tortodelova.server:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port),
                 "--http", "tortodelova.server.http_protocol:HeaderTimeoutProtocol"],  # as docker-compose.yml runs it
                cwd=ROOT, env=service_env(values), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_health(self.url, timeout=90, alive=lambda: self.proc.poll() is None)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"the app did not start:\n{self.log.read_text(errors='replace')[-3000:]}") from None

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        from tests.production.stack import kill_group

        if self.proc.poll() is None:
            kill_group(self.proc)


@pytest.fixture
def live_app(tmp_path):
    """live_app(**env) → a running LiveApp; stopped at teardown."""
    started: list[LiveApp] = []

    def start(**env) -> LiveApp:
        app = LiveApp(tmp_path / f"app{len(started)}", **env)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


def register_over_http(url: str, email: str, password: str = PASSWORD) -> None:
    r = httpx.post(f"{url}/api/auth/register", json={"email": email, "password": password}, timeout=30)
    assert r.status_code == 201, r.text
