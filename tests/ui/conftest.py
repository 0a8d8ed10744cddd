"""A real running service for the UI tests: uvicorn on a free port, SQLite and images under a tmp folder, the tiny
models, and an in-process Huey consumer thread — the same wiring as `python app.py`, only polled faster."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import uvicorn

from jobs.tasks import HueyQueue, embedded_consumer, make_huey, register_tasks
from tests.helpers import free_port, wait_for_health
from tortodelova.accounts import service as accounts
from tortodelova.billing import onboarding
from tortodelova.billing import service as billing
from tortodelova.config import Settings
from tortodelova.container import Services
from tortodelova.server import build_services, create_app

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@tortodelova.test", "admin-password-1"
STARTUP_TIMEOUT = 60.0


@dataclass
class LiveApp:
    url: str
    settings: Settings
    services: Services

    def user(self, email: str, password: str = "password-123", *, credits: int | None = None) -> str:
        """Register a user straight through the service (optionally topped up) and return their JWT."""
        with self.services.session_factory() as session:
            user = onboarding.register(session=session, settings=self.settings, email=email, password=password)
            if credits:
                billing.deposit(session=session, user=user, amount=credits)
        return self.token(email, password)

    def token(self, email: str, password: str) -> str:
        with self.services.session_factory() as session:
            return accounts.login(session=session, settings=self.settings, email=email,
                                  password=password).access_token

    def admin_token(self) -> str:
        return self.token(ADMIN_EMAIL, ADMIN_PASSWORD)


@contextmanager
def run_live_app(data_dir: Path, models_dir: Path) -> Iterator[LiveApp]:
    settings = Settings(
        data_dir=data_dir, models_dir=models_dir, jwt_secret="ui-tests-" + "s" * 40, welcome_credits=30,
        TORTODELOVA_ADMIN_EMAIL=ADMIN_EMAIL, TORTODELOVA_ADMIN_PASSWORD=ADMIN_PASSWORD, heartbeat_seconds=1.0,
        register_client_limit="1000 per hour", login_client_limit="1000 per 15 minutes",
    )
    huey = make_huey(settings)
    tasks = register_tasks(huey, settings)
    services = build_services(settings, queue=HueyQueue(tasks))
    app = create_app(services=services)
    consumer = embedded_consumer(huey, periodic=False)
    consumer.start()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, name="ui-test-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, timeout=STARTUP_TIMEOUT, alive=thread.is_alive)
    try:
        yield LiveApp(url=url, settings=settings, services=services)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        consumer.stop(graceful=True)
        services.engine.dispose()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, tiny_models_dir) -> Iterator[LiveApp]:
    with run_live_app(tmp_path_factory.mktemp("ui-app"), tiny_models_dir) as app:
        yield app


@pytest.fixture
def fresh_app(tmp_path_factory, tiny_models_dir):
    """A factory of apps with their own database: the demo is one per IP, and every browser runs from 127.0.0.1."""
    opened = []

    def start() -> LiveApp:
        context = run_live_app(tmp_path_factory.mktemp("ui-app"), tiny_models_dir)
        opened.append(context)
        return context.__enter__()

    yield start
    for context in reversed(opened):
        context.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (the browser test modules skip themselves when it is missing)."""
    from playwright.sync_api import sync_playwright

    from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
