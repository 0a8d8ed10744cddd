"""Periodic repair of the generation queue, safe to run from several workers at once (conditional UPDATEs only)."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from tortodelova.db import session_scope, utcnow
from tortodelova.generation import lifecycle
from tortodelova.generation.models import Generation
from tortodelova.observability import metrics

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext

logger = logging.getLogger(__name__)
WORKER_DIED = "Обработчик заданий остановился. Кредиты возвращены."


def _repair_stale(session, settings, now, enqueue, report) -> None:
    """Running rows whose heartbeat is stale (the worker died): re-run while attempts remain, else fail + refund."""
    stale = session.scalars(select(Generation).where(
        Generation.status == "running",
        Generation.heartbeat_at < now - timedelta(seconds=settings.stale_after_seconds),
    )).all()
    for generation in stale:
        if generation.attempts < settings.max_attempts and not generation.cancel_requested:
            moved = session.execute(
                update(Generation)
                .where(Generation.id == generation.id, Generation.status == "running",
                       Generation.heartbeat_at == generation.heartbeat_at)
                .values(status="queued", progress=0.0, enqueued_at=now, worker=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
            if moved:
                enqueue(generation.id)
                report["requeued"].append(generation.id)
        elif lifecycle.finish_failed(session=session, generation_id=generation.id, error=WORKER_DIED):
            report["failed"].append(generation.id)
            metrics.JOB_FAILURES.labels(reason="stale").inc()


def _reenqueue_lost(session, settings, now, pending_ids, enqueue, report) -> None:
    """Queued rows that are not in the queue any more (lost with a Redis restart): enqueue again."""
    lost = session.scalars(select(Generation.id).where(
        Generation.status == "queued",
        Generation.enqueued_at < now - timedelta(seconds=settings.requeue_after_seconds),
    )).all()
    for generation_id in lost:
        if generation_id in pending_ids:
            continue
        session.execute(update(Generation).where(Generation.id == generation_id).values(enqueued_at=now))
        session.commit()
        enqueue(generation_id)
        report["reenqueued"].append(generation_id)


def sweep(*, ctx: WorkerContext, pending_ids: set[str], enqueue) -> dict:
    now = utcnow()
    report = {"requeued": [], "failed": [], "reenqueued": []}
    with session_scope(ctx.session_factory) as session:
        _repair_stale(session, ctx.settings, now, enqueue, report)
        _reenqueue_lost(session, ctx.settings, now, pending_ids, enqueue, report)
    if any(report.values()):
        logger.info("sweep: %s", report)
    return report
