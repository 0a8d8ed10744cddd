"""Selections run on SQLite and PostgreSQL (the root `database_url`); the image store is local disk here (the store
itself is covered in tests/storage). Designs are made by a factory: a finished row plus real PNGs in the store,
no pipeline run."""
from __future__ import annotations

import uuid

import pytest

from tests.selections.factories import design_factory  # noqa: F401


@pytest.fixture(params=["local"])
def storage_settings(request):
    return {}


@pytest.fixture
def settings_overrides() -> dict:
    """Settings of this test beyond the defaults: `@pytest.mark.parametrize("settings_overrides", [{...}])`."""
    return {}


@pytest.fixture
def settings(make_settings, database_url, storage_settings, settings_overrides):
    return make_settings(database_url=database_url, **storage_settings, **settings_overrides)


@pytest.fixture
def admin_headers(client, services, settings):
    """Headers of a signed-in admin, created the way the operator does it."""
    from tortodelova.accounts import service as accounts

    email, password = f"boss-{uuid.uuid4().hex[:6]}@example.com", "кремовый-торт-123"
    with services.session() as session:
        accounts.ensure_admin(session=session, settings=settings, email=email, password=password)
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
