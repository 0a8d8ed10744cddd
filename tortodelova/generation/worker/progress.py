"""Progress of running jobs: the step callback (progress, latent previews, cancel flags) and single updates."""
from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from tortodelova.db import session_scope, utcnow
from tortodelova.generation.models import Generation
from tortodelova.pipeline.errors import GenerationCancelled

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext
    from tortodelova.generation.worker.orchestrate import Job

PROGRESS_WRITE_INTERVAL = 0.5


def set_progress(ctx: WorkerContext, generation_id: str, progress: float, **values) -> None:
    with session_scope(ctx.session_factory) as session:
        session.execute(update(Generation).where(Generation.id == generation_id)
                        .values(progress=progress, heartbeat_at=utcnow(), **values))
        session.commit()


def cancel_flags(ctx: WorkerContext, generation_ids: list[str]) -> dict[str, bool]:
    with session_scope(ctx.session_factory) as session:
        return dict(session.execute(select(Generation.id, Generation.cancel_requested)
                                    .where(Generation.id.in_(generation_ids))).all())


def note_cancels(ctx: WorkerContext, jobs: list[Job]) -> None:
    flags = cancel_flags(ctx, [job.id for job in jobs])
    for job in jobs:
        job.cancelled = job.cancelled or bool(flags.get(job.id))


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class Progress:
    """Step callback for a batch: writes progress and each job's latent preview (throttled) and notes cancels.
    A cancelled job in a shared batch is dropped at the end; when every job is cancelled the batch stops."""

    def __init__(self, ctx: WorkerContext, jobs: list[Job], start: float = 0.05, end: float = 0.9):
        self.ctx, self.jobs, self.start, self.end = ctx, jobs, start, end
        self._last_write = 0.0
        self.seconds = 0.0  # time spent in here (PNG previews, database writes, cancel checks), for the timings

    def __call__(self, step: int, total: int, previews=None) -> None:
        if self.ctx.settings.step_delay_seconds:
            time.sleep(self.ctx.settings.step_delay_seconds)
        started = time.perf_counter()
        try:
            self._step(step, total, previews)
        finally:
            self.seconds += time.perf_counter() - started

    def _step(self, step: int, total: int, previews) -> None:
        now = time.monotonic()
        if previews is None and now - self._last_write < PROGRESS_WRITE_INTERVAL and step < total:
            return
        self._last_write = now
        if previews is not None and not isinstance(previews, list):
            previews = [previews]
        progress = self.start + (self.end - self.start) * min(step, total) / max(total, 1)
        with session_scope(self.ctx.session_factory) as session:
            for index, job in enumerate(self.jobs):
                values = {"progress": progress, "heartbeat_at": utcnow()}
                if previews is not None and index < len(previews) and previews[index] is not None:
                    values["preview_png"] = _png(previews[index])
                session.execute(update(Generation).where(Generation.id == job.id).values(**values))
            session.commit()
        note_cancels(self.ctx, self.jobs)
        if all(job.cancelled for job in self.jobs):
            raise GenerationCancelled()
