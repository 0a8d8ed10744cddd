"""Production-shaped stacks for the tests in this folder: a real `uvicorn` app process and real `huey_consumer`
worker processes on PostgreSQL, Redis (RedisHuey) and S3, with the tiny models.

Every process is started in its own session (process group) and killed with its whole group at teardown. Each
stack has its own PostgreSQL database, Redis queue name and S3 bucket, so parallel runs never share state.

The consumers' own periodic sweep is kept out of the way (STALE_AFTER_SECONDS / REQUEUE_AFTER_SECONDS large in
their environment): the tests run the sweeper themselves, through the `sweep` task body with the settings under
test (`Stack.sweep(max_attempts=1, ...)`), instead of waiting for the next minute.
"""
from __future__ import annotations

import secrets
import uuid

import pytest

from tests.helpers import s3_settings
from tests.production.stack import Stack


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "production: real uvicorn and huey_consumer processes on PostgreSQL, Redis and S3")


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def pg_module_database(pg_server):
    """A fresh PostgreSQL database for one test module; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"tortodelova_prod_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def module_bucket(s3_server):
    from minio import Minio

    from tests.helpers import S3_ACCESS_KEY, S3_SECRET_KEY

    bucket = f"prod-{uuid.uuid4().hex[:16]}"
    yield bucket
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False, region="us-east-1")
    try:
        for obj in client.list_objects(bucket, recursive=True):
            client.remove_object(bucket, obj.object_name)
        client.remove_bucket(bucket)
    except Exception:  # noqa: BLE001 - the bucket may never have been created
        pass


@pytest.fixture(scope="module")
def make_stack(tmp_path_factory, tiny_models_dir, redis_server, s3_server, module_bucket):
    """make_stack(database_url, s3_endpoint=None, **env) → a Stack (app not started yet); all torn down at the end."""
    made: list[Stack] = []

    def make(database_url: str, *, s3_endpoint: str | None = None, **env) -> Stack:
        workdir = tmp_path_factory.mktemp("stack")
        s3 = s3_settings(s3_endpoint or s3_server, module_bucket)
        values = {
            "TORTODELOVA_ENV": "production", "JWT_SECRET": secrets.token_hex(32),
            "DATABASE_URL": database_url, "REDIS_URL": redis_server,
            "QUEUE_NAME": f"prod-{uuid.uuid4().hex[:10]}",
            # Many test users from one address: the per-address limits are tested on their own.
            "REGISTER_CLIENT_LIMIT": "1000 per hour", "LOGIN_CLIENT_LIMIT": "1000 per 15 minutes",
            "S3_ENDPOINT": s3["s3_endpoint"], "S3_ACCESS_KEY": s3["s3_access_key"],
            "S3_SECRET_KEY": s3["s3_secret_key"], "S3_BUCKET": s3["s3_bucket"],
            "S3_PUBLIC_ENDPOINT": s3_server,
            "MODELS_DIR": tiny_models_dir, "DATA_DIR": workdir / "data", "REQUIRE_MODELS": "true",
            "HEARTBEAT_SECONDS": "0.5", "STALE_AFTER_SECONDS": "600", "REQUEUE_AFTER_SECONDS": "600",
            "MAX_ATTEMPTS": "2", "PUBLIC_URL": "https://torty.example.test",
        }
        values.update({key: value for key, value in env.items()})
        stack = Stack(workdir=workdir, env={k: str(v) for k, v in values.items() if v is not None},
                      bucket=module_bucket, s3_endpoint=s3_server)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()
