"""The app with its in-process Huey worker (`stack`, `make_stack`) lives in tests/jobs/conftest.py; reused here."""
from tests.jobs.conftest import make_stack, stack, storage_settings, worker_settings  # noqa: F401
