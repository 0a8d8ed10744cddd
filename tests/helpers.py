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
