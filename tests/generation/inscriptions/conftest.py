"""The app with its in-process Huey worker on the tiny models (tests/jobs/conftest.py), on both databases and both
image stores (the root conftest's `storage_settings`)."""
from tests.jobs.conftest import make_stack, stack, worker_settings  # noqa: F401
