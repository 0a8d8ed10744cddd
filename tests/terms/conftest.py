from tests.jobs.conftest import make_stack, stack, storage_settings, worker_settings  # noqa: F401
