"""The one stack fixture module: a real in-process Huey consumer (SqliteHuey, one worker thread) over the real app,
with the tiny models. `stack`, `make_stack` and `worker_settings` are imported by tests/conftest.py, so every folder
has them."""
from __future__ import annotations

import signal

import pytest
from fastapi.testclient import TestClient

from tests.helpers import wait_until


@pytest.fixture
def worker_settings(make_settings, tiny_models_dir, database_url, storage_settings):
    return make_settings(database_url=database_url, models_dir=tiny_models_dir, require_models=True,
                         **storage_settings)


def start_consumer(huey):
    from jobs.tasks import embedded_consumer

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = embedded_consumer(huey, periodic=False, check_worker_health=False)  # as app.py polls
    consumer.start()
    for sig, handler in handlers.items():  # the consumer grabs the signals; give them back to pytest
        signal.signal(sig, handler)
    return consumer


class Stack:
    """The app and its worker as one test object."""

    def __init__(self, settings, context_factory=None, consumer=True, translate_in_process=False):
        from jobs.tasks import HueyQueue, make_huey, register_tasks
        from tortodelova.server import build_services, create_app

        self.settings = settings
        self.huey = make_huey(settings)
        self.tasks = register_tasks(self.huey, settings, context_factory=context_factory)
        self.queue = HueyQueue(self.tasks, translate_in_process=translate_in_process)
        self.services = build_services(settings, queue=self.queue)
        self.client = TestClient(create_app(services=self.services, ui=False))
        self.consumer = start_consumer(self.huey) if consumer else None

    def start_consumer(self):
        self.consumer = start_consumer(self.huey)

    def close(self):
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
        self.client.close()
        self.services.engine.dispose()

    def user(self, email=None, deposit=0):
        import uuid

        email = email or f"chef-{uuid.uuid4().hex[:8]}@example.com"
        assert self.client.post("/api/auth/register", json={"email": email, "password": "password-123"}
                                ).status_code == 201
        token = self.client.post("/api/auth/login", json={"email": email, "password": "password-123"}
                                 ).json()["access_token"]
        self.client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        if deposit:
            assert self.client.post("/api/me/deposit", json={"amount": deposit}, headers=headers).status_code == 200
        return headers

    def wait(self, generation_id, headers, *, statuses=("succeeded", "failed", "cancelled"), timeout=120):
        last = {}

        def done():
            last.update(self.client.get(f"/api/generations/{generation_id}", headers=headers).json())
            return last if last["status"] in statuses else None

        return wait_until(done, timeout=timeout,
                          message=lambda: f"generation {generation_id} still {last.get('status')} after {timeout}s")


@pytest.fixture
def stack(worker_settings):
    stack = Stack(worker_settings)
    yield stack
    stack.close()


@pytest.fixture
def make_stack(worker_settings):
    made = []

    def make(context_factory=None, consumer=True, translate_in_process=False, **overrides):
        settings = worker_settings.model_copy(update=overrides) if overrides else worker_settings
        stack = Stack(settings, context_factory=context_factory, consumer=consumer,
                      translate_in_process=translate_in_process)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.close()
