"""Huey wiring: one Huey per configuration, tasks registered on it, and the `JobQueue` the web side uses.

Tasks receive ids and small values only; the worker state (DB, store, models) is built once per process.
A translation preview's `PipelineError` crosses the queue as the task's value (pickled) and is raised again by
`HueyQueue.translate`: typed, with its data, instead of a dict sentinel.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

from huey import PriorityRedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.exceptions import HueyException, TaskException
from redis.exceptions import RedisError

from tortodelova.config import Settings
from tortodelova.errors import ServiceUnavailable
from tortodelova.generation.translation import Translation, TranslationInput
from tortodelova.observability import metrics
from tortodelova.observability.logs import bind_request_id, current_request_id, request_id_var
from tortodelova.pipeline.errors import PipelineError

logger = logging.getLogger(__name__)

TRANSLATE_PRIORITY = 10  # a user waits on a translation: it goes ahead of queued generations
TRANSLATOR_BUSY = "Переводчик сейчас недоступен или занят, попробуйте через минуту"
QUEUE_DOWN = "Очередь заданий недоступна, попробуйте позже"


# The embedded SqliteHuey is polled (Redis blocks on the queue instead). Huey's consumer backs off from 0.1 s up to
# 10 s while the queue is empty, so the first design after a quiet minute would wait up to 10 s for its pick-up;
# capped here, an idle worker reads a local SQLite file 4 times a second (microseconds each).
EMBEDDED_POLL_MAX_SECONDS = 0.25


def embedded_consumer(huey: Huey, *, periodic: bool = True, check_worker_health: bool = True):
    """The in-process worker of ``python app.py``: one thread (one generation at a time anyway), polling at most
    every EMBEDDED_POLL_MAX_SECONDS."""
    return huey.create_consumer(workers=1, worker_type="thread", periodic=periodic, initial_delay=0.05,
                                backoff=1.15, max_delay=EMBEDDED_POLL_MAX_SECONDS,
                                check_worker_health=check_worker_health)  # fmt: skip


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return PriorityRedisHuey(settings.queue_name, url=settings.redis_url, utc=True)
    settings.ensure_data_dir()
    return SqliteHuey(settings.queue_name, filename=str(settings.data_dir / "huey.db"), utc=True)


@dataclass
class Tasks:
    huey: Huey
    run_generation: TaskWrapper
    translate: TaskWrapper
    sweep: TaskWrapper
    worker_context: object  # callable returning the process's WorkerContext


def register_tasks(huey: Huey, settings: Settings, *, context_factory=None, sweep_every_minutes: int = 1) -> Tasks:
    from tortodelova.generation import worker

    lock = threading.Lock()
    holder: dict = {}

    def worker_context() -> "worker.WorkerContext":
        # Built lazily so that each forked consumer process gets its own connections and model copy.
        with lock:
            if "ctx" not in holder:
                holder["ctx"] = (context_factory or worker.WorkerContext)(settings)
            return holder["ctx"]

    @huey.task(retries=0)
    def run_generation(generation_id: str, request_id: str | None = None) -> str:
        # The submission's request id travels with the id: the job's log lines carry it (issue 24).
        token = bind_request_id(request_id)
        try:
            return worker.run(worker_context(), generation_id)
        finally:
            request_id_var.reset(token)

    @huey.task(retries=0, priority=TRANSLATE_PRIORITY)
    def translate(item: TranslationInput) -> Translation | PipelineError:
        try:
            return worker.translate_preview(worker_context(), item)
        except PipelineError as exc:  # the chef's problem (too long, models missing): handed back as a value
            return exc

    @huey.periodic_task(crontab(minute=f"*/{sweep_every_minutes}"), retries=0)
    def sweep() -> dict:
        return run_chores(tasks)

    @huey.on_startup()
    def load_models() -> None:
        serve_worker_metrics(settings)
        load_models_at_start(settings, worker_context)

    tasks = Tasks(huey=huey, run_generation=run_generation, translate=translate, sweep=sweep,
                  worker_context=worker_context)
    return tasks


def run_chores(tasks: Tasks) -> dict:
    """The periodic repair of the generation queue, then the account chores (expired revoked tokens).
    Returns the generation sweeper's report."""
    from tortodelova.accounts.chores import purge_expired_revoked_tokens
    from tortodelova.db import session_scope
    from tortodelova.generation import worker

    ctx = tasks.worker_context()
    queue = HueyQueue(tasks)
    report = worker.sweep(ctx=ctx, pending_ids=queue.pending_generation_ids(), enqueue=queue.enqueue_generation)
    with session_scope(ctx.session_factory) as session:
        purged = purge_expired_revoked_tokens(session=session)
    if purged:
        logger.info("purged %s expired revoked tokens", purged)
    return report


def serve_worker_metrics(settings: Settings) -> None:
    """Each worker process serves its own metrics (job stages, failures, model load, steps, memory) on
    WORKER_METRICS_PORT, behind METRICS_TOKEN; off when either is unset. The embedded worker (a thread of the web
    process) has nothing to serve: its metrics are the web process's /metrics."""
    metrics.register_gpu_collector()
    if settings.worker_metrics_port is None or not settings.metrics_token or not settings.redis_url:
        return
    try:
        metrics.serve_worker(port=settings.worker_metrics_port, token=settings.metrics_token,
                             host=settings.worker_metrics_host)
    except OSError:
        logger.exception("could not serve worker metrics on port %s", settings.worker_metrics_port)


def load_models_at_start(settings: Settings, worker_context) -> None:
    """The models are loaded once per worker process, before the first job, when the files are there. A failure is
    logged with its traceback; each job then fails (and refunds) with the same cause, raised by `Models`."""
    from tortodelova.pipeline.models import check_models

    if check_models(settings.models_dir).ok:
        try:
            worker_context().load()
        except Exception:
            logger.exception("could not load the models at worker start")


class HueyQueue:
    """`tortodelova.generation.queue.JobQueue` on Huey.

    `translate_in_process=True` is for the embedded default only, where the worker is a thread of this same process:
    the translation preview then runs here on the process's already loaded translator, instead of waiting in the
    queue behind a generation that takes minutes on a CPU. Production web processes keep it False (no torch)."""

    def __init__(self, tasks: Tasks, *, translate_in_process: bool = False):
        self.tasks = tasks
        self.translate_in_process = translate_in_process

    def enqueue_generation(self, generation_id: str) -> None:
        self.tasks.run_generation(generation_id, current_request_id())

    def translate(self, item: TranslationInput, *, timeout: float) -> Translation:
        if self.translate_in_process:
            from tortodelova.generation import worker

            return worker.translate_preview(self.tasks.worker_context(), item)
        try:
            result = self.tasks.translate(item).get(blocking=True, timeout=timeout)
        except TaskException as exc:
            logger.error("translate task failed: %s", exc.metadata)
            raise ServiceUnavailable(TRANSLATOR_BUSY) from None
        except HueyException as exc:  # ResultTimeout
            logger.warning("translate task not done in %ss: %r", timeout, exc)
            raise ServiceUnavailable(TRANSLATOR_BUSY) from None
        except Exception as exc:
            if not _is_backend_error(exc):
                raise
            logger.warning("queue unavailable", exc_info=exc)
            raise ServiceUnavailable(QUEUE_DOWN) from None
        if isinstance(result, PipelineError):
            raise result
        return result

    def pending_generation_ids(self) -> set[str]:
        task_class = self.tasks.run_generation.task_class
        return {task.args[0] for task in self.tasks.huey.pending() if isinstance(task, task_class) and task.args}

    def depth(self) -> int:
        return self.tasks.huey.pending_count()

    def health(self) -> str:
        try:
            self.tasks.huey.pending_count()
            return "ok"
        except Exception as exc:
            if not _is_backend_error(exc):
                raise
            logger.warning("queue health check failed: %r", exc)
            return "unavailable"


def _is_backend_error(exc: Exception) -> bool:
    """Errors of the queue's storage (Redis or SQLite): anything else is a bug and must surface with its traceback."""
    return isinstance(exc, (RedisError, sqlite3.Error, OSError))
