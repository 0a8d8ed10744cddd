"""`python app.py backup DIR` / `restore DIR` (issue 24), as an operator runs them: a populated instance (accounts,
deposits, a real design made by the worker, a share link, a cancelled and refunded job) is backed up, destroyed,
restored into a fresh one, and every user, balance, ledger row, design and stored object is compared byte for byte;
then the restored instance serves: the chef logs in with the old password and downloads the same PNG.
SQLite + local images (the online-backup API) and PostgreSQL + S3 (pg_dump/pg_restore custom format)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "password-123"  # tests.stack.Stack.user's
TABLES = ("users", "transactions", "generations", "share_links", "uploads", "alembic_version")


@pytest.fixture(params=["sqlite+local", "postgresql+s3"])
def mode(request):
    return request.param


@pytest.fixture
def database_url(mode, tmp_path, request):
    return f"sqlite:///{tmp_path / 'data' / 'tortodelova.db'}" if mode.startswith("sqlite") \
        else request.getfixturevalue("pg_database")


@pytest.fixture
def storage_settings(mode, request):
    if mode.endswith("local"):
        return {}
    from tests.helpers import s3_settings

    return s3_settings(request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket"))


def cli(args, settings) -> subprocess.CompletedProcess:
    from tests.production.stack import service_env

    env = service_env({"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url,
                       "MODELS_DIR": settings.models_dir, "JWT_SECRET": settings.jwt_secret,
                       "S3_ENDPOINT": settings.s3_endpoint, "S3_ACCESS_KEY": settings.s3_access_key,
                       "S3_SECRET_KEY": settings.s3_secret_key, "S3_BUCKET": settings.s3_bucket})
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def snapshot(settings) -> dict:
    """Every row of the tables that matter, and every stored object's bytes."""
    from tortodelova.backup import _store_keys
    from tortodelova.storage import make_store

    engine = create_engine(settings.sqlalchemy_url)
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            rows = {name: [tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}" ORDER BY 1'))]
                    for name in TABLES if name in names}
    finally:
        engine.dispose()
    store = make_store(settings)
    return {"rows": rows, "objects": {key: store.get(key) for key in _store_keys(store)}}


def destroy(settings) -> None:
    from tortodelova.backup import _store_keys
    from tortodelova.storage import make_store

    store = make_store(settings)
    for key in _store_keys(store):
        store.delete(key)
    if settings.database_url.startswith("sqlite"):
        shutil.rmtree(settings.data_dir)
        return
    url = settings.database_url
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def test_backup_destroy_restore_round_trip(make_settings, database_url, storage_settings, tiny_models_dir, tmp_path):
    settings = make_settings(database_url=database_url, models_dir=tiny_models_dir, require_models=True,
                             **storage_settings)
    stack = Stack(settings)
    try:
        chef = stack.user(deposit=40)
        stack.user(deposit=7)
        r = stack.client.post("/api/generations", headers=chef, json={"prompt": "торт с клубникой", "quality": "fast",
                                                                      "variants": 2})
        assert r.status_code == 202, r.text
        design = stack.wait(r.json()["id"], chef)
        assert design["status"] == "succeeded"
        assert stack.client.post(f"/api/generations/{design['id']}/share", headers=chef).status_code in (200, 201)
        png = stack.client.get(design["images"][1]["download_url"], headers=chef).content
        email = stack.client.get("/api/me", headers=chef).json()["email"]
    finally:
        stack.close()
    before = snapshot(settings)
    assert len(before["rows"]["users"]) == 2 and len(before["objects"]) >= 2
    assert png in before["objects"].values()

    folder = tmp_path / "backup"
    done = cli(["backup", str(folder)], settings)
    assert done.returncode == 0, done.stderr
    assert "Резервная копия создана" in done.stdout
    assert (folder / ("database.sqlite3" if database_url.startswith("sqlite") else "database.dump")).is_file()
    again = cli(["backup", str(folder)], settings)  # never over an existing copy
    assert again.returncode == 2 and "не пуста" in again.stderr

    destroy(settings)
    done = cli(["restore", str(folder)], settings)
    assert done.returncode == 0, done.stderr + done.stdout
    assert snapshot(settings) == before

    # Restoring over a live instance is refused, and so is a damaged copy.
    refused = cli(["restore", str(folder)], settings)
    assert refused.returncode == 2 and "только в новый экземпляр" in refused.stderr, refused.stderr
    key = next(iter(before["objects"]))
    (folder / "objects" / key).write_bytes(b"damaged")
    destroy(settings)
    damaged = cli(["restore", str(folder)], settings)
    assert damaged.returncode == 2 and "повреждён" in damaged.stderr
    assert cli(["restore", str(tmp_path / "nothing-here")], settings).returncode == 2

    # The restored instance (restored once more from a good copy) serves the same chef and the same bytes.
    (folder / "objects" / key).write_bytes(before["objects"][key])
    destroy(settings)
    assert cli(["restore", str(folder)], settings).returncode == 0
    stack = Stack(settings, consumer=False)
    try:
        login = stack.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        stack.client.cookies.clear()
        assert stack.client.get("/api/me/balance", headers=headers).json() == {"balance": 70 - design["cost"]}
        restored = stack.client.get(f"/api/generations/{design['id']}", headers=headers).json()
        assert stack.client.get(restored["images"][1]["download_url"], headers=headers).content == png
    finally:
        stack.close()
