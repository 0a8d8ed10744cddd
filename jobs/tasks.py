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
from huey.consumer import Consumer
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


class OwnedConsumer(Consumer):
    """Huey's consumer whose child processes (workers and the scheduler, `-k process`) end with it: each child
    starts by asking the kernel for SIGKILL when the master dies (`die_with_parent_process`)."""

    def __init__(self, huey, **options):
        super().__init__(huey, **options)
        init_child = self.environment.init_child

        def init_owned_child(process):
            init_child(process)
            die_with_parent_process()

        self.environment.init_child = init_owned_child


class RedisQueue(PriorityRedisHuey):
    def create_consumer(self, **options):
        return OwnedConsumer(self, **options)


class SqliteQueue(SqliteHuey):
    def create_consumer(self, **options):
        return OwnedConsumer(self, **options)


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisQueue(settings.queue_name, url=settings.redis_url, utc=True)
    settings.ensure_data_dir()
    return SqliteQueue(settings.queue_name, filename=str(settings.data_dir / "huey.db"), utc=True)


@dataclass
class Tasks:
    huey: Huey
    run_generation: TaskWrapper
    translate: TaskWrapper
    sweep: TaskWrapper
    worker_context: object  # callable returning the process's WorkerContext
    send_mail: TaskWrapper | None = None


MAIL_RETRIES, MAIL_RETRY_DELAY = 5, 60


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

    @huey.task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, priority=TRANSLATE_PRIORITY)
    def send_mail(letter: dict) -> None:
        from tortodelova.mail import Letter, Mailer

        item = Letter.from_dict(letter)
        try:
            Mailer(settings).send(item)
        except Exception:
            logger.warning("mail «%s» to %s not sent, Huey retries it (%s times)", item.subject, item.to,
                           MAIL_RETRIES, exc_info=True)
            raise

    @huey.periodic_task(crontab(minute=f"*/{sweep_every_minutes}"), retries=0)
    def sweep() -> dict:
        return run_chores(tasks)

    @huey.on_startup()
    def load_models() -> None:
        serve_worker_metrics(settings)
        load_models_at_start(settings, worker_context)

    tasks = Tasks(huey=huey, run_generation=run_generation, translate=translate, sweep=sweep,
                  worker_context=worker_context, send_mail=send_mail)
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


PR_SET_PDEATHSIG = 1


def die_with_parent_process() -> None:
    """In a `huey_consumer -k process` child: the kernel kills it (SIGKILL) when the consumer master dies. A master
    killed with SIGKILL cannot stop its workers, and the orphans went on consuming jobs with no master to restart
    or stop them; a job they held is retried or refunded by the sweeper like any killed worker's. SIGKILL because
    the workers ignore SIGTERM (`-g TERM` makes it the master's graceful signal). Nothing happens in the embedded
    consumer's threads (not a child process) or off Linux."""
    import multiprocessing
    import os
    import signal
    import sys

    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent.pid:  # the master died before the line above took effect
        os.kill(os.getpid(), signal.SIGKILL)


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

    def enqueue_mail(self, letter) -> None:
        """`tortodelova.mail.post` hands letters here when a mail server is configured (plain strings only)."""
        self.tasks.send_mail(letter.to_dict())

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
