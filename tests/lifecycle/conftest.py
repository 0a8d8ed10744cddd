"""Fixtures of the account-lifecycle tests: a real SMTP server (aiosmtpd) and the app configured to use it."""
from __future__ import annotations

import pytest

from tests.mail.smtp import SMTPServer


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def mail_services(make_settings, database_url, smtp):
    """The app on the real database with SMTP configured (so confirmation is required); local image store."""
    from tortodelova.server import build_services

    services = build_services(make_settings(database_url=database_url, **smtp.settings()))
    yield services
    services.engine.dispose()


@pytest.fixture
def mail_client(mail_services):
    from fastapi.testclient import TestClient

    from tortodelova.server import create_app

    with TestClient(create_app(services=mail_services, ui=False), base_url="http://torto.test") as client:
        yield client


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'lifecycle.db'}"
