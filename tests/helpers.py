"""Small helpers shared by tests (fixtures live in tests/conftest.py and tests/stack.py)."""
from __future__ import annotations

import os
import socket

S3_ACCESS_KEY = os.environ.get("TEST_S3_ACCESS_KEY", "tortokey")
S3_SECRET_KEY = os.environ.get("TEST_S3_SECRET_KEY", "tortosecret123")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {"s3_endpoint": endpoint, "s3_access_key": S3_ACCESS_KEY, "s3_secret_key": S3_SECRET_KEY,
            "s3_bucket": bucket, "s3_public_endpoint": endpoint}


BOTH_STORES = ["local", "s3"]


def both_stores(test):
    """Run `test` on the local store and on real S3: for the tests whose behaviour depends on the store."""
    import pytest

    return pytest.mark.parametrize("storage_settings", BOTH_STORES, indirect=True)(test)


def store_settings(request) -> dict:
    """The settings of the store a `storage_settings` parameter names: {} for the local one, a fresh bucket on S3."""
    if request.param == "local":
        return {}
    return s3_settings(request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket"))


def wait_until(condition, *, timeout: float, interval: float = 0.1, message: str = "condition not met"):
    """Call `condition()` until it returns something truthy, and return that; fail with `message` after `timeout`
    seconds. `message` may be a callable, for a message built from the last state."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else f"{message} after {timeout}s")
        time.sleep(interval)


def wait_for_health(url: str, *, timeout: float, alive=lambda: True) -> None:
    """Poll `{url}/health` until the app answers 200; fail early if the process behind it died."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not alive():
            raise RuntimeError(f"the app did not start on {url}")
        time.sleep(0.1)


def schema_diffs(engine, names) -> list:
    """What Alembic's autogenerate still finds between the migrated database and the models, for the tables or columns
    named in `names` only (a migration test checks its own part of the schema)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import tortodelova.db_tables as tables

    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), tables.Base.metadata)
    return [diff for diff in diffs if any(name in repr(diff) for name in names)]


def downgrade_to(engine, revision: str) -> None:
    """Run the migrations down to `revision` (e.g. "0005", or "0008-1") on this engine's database."""
    from alembic import command
    from alembic.config import Config

    from tortodelova.db import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
