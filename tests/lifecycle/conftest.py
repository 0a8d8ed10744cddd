"""Fixtures of the account-lifecycle tests: a real SMTP server (aiosmtpd) and the app configured to use it."""
from __future__ import annotations

import pytest

from tests.mail.smtp import SMTPServer


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture(params=["sqlite"])
def mail_db(request, tmp_path):
    """SQLite unless a test asks for both (`@both_databases`): the hashing of every sign-in costs CPU."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mail.db'}"
    return request.getfixturevalue("pg_database")


both_databases = pytest.mark.parametrize("mail_db", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def mail_services(make_settings, mail_db, smtp):
    """The app on a real database with SMTP configured (so confirmation is required); local image store."""
    from tortodelova.server import build_services

    services = build_services(make_settings(database_url=mail_db, **smtp.settings()))
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


@pytest.fixture(params=["sqlite-local", "postgresql-s3"])
def store_services(request, make_settings, tmp_path):
    """The app's services on SQLite + the local disk, and on PostgreSQL + S3 (SeaweedFS)."""
    from tests.helpers import s3_settings
    from tortodelova.server import build_services

    if request.param == "sqlite-local":
        settings = make_settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
    else:
        settings = make_settings(database_url=request.getfixturevalue("pg_database"),
                                 **s3_settings(request.getfixturevalue("s3_server"),
                                               request.getfixturevalue("s3_bucket")))
    services = build_services(settings)
    yield services
    services.engine.dispose()


@pytest.fixture
def store_client(store_services):
    from fastapi.testclient import TestClient

    from tortodelova.server import create_app

    with TestClient(create_app(services=store_services, ui=False)) as client:
        yield client


@pytest.fixture
def sqlite_client(make_settings, sqlite_url):
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=sqlite_url))
    with TestClient(create_app(services=services, ui=False)) as client:
        yield client
    services.engine.dispose()


def registrar(client):
    import uuid

    def do(email=None, password="кремовый-торт-123"):
        email = email or f"chef-{uuid.uuid4().hex[:8]}@example.com"
        r = client.post("/api/auth/register", json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        token = client.post("/api/auth/login", json={"email": email, "password": password}).json()["access_token"]
        client.cookies.clear()
        return r.json(), {"Authorization": f"Bearer {token}"}

    return do
