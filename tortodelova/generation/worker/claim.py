"""Taking jobs: the atomic claim, look-alike partners for one batch, and the heartbeat that proves we are alive."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tortodelova.db import session_scope, utcnow
from tortodelova.generation.models import Generation

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext

logger = logging.getLogger(__name__)


def claim(*, session: Session, generation_id: str, worker: str) -> Generation | None:
    """queued → running, atomically: of two workers that got the same id, one wins and the other skips."""
    now = utcnow()
    claimed = session.execute(
        update(Generation)
        .where(Generation.id == generation_id, Generation.status == "queued",
               Generation.cancel_requested.is_(False))
        .values(status="running", started_at=now, heartbeat_at=now, worker=worker, progress=0.0,
                attempts=Generation.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return session.get(Generation, generation_id) if claimed else None


def batch_limit(settings, generator) -> int:
    """How many queued jobs one run may take: batching pays on a GPU; on a CPU it only delays the first job."""
    if settings.batch_max_jobs <= 1:
        return 1
    device = getattr(generator, "device", None)
    on_gpu = getattr(device, "type", "cpu") != "cpu"
    return settings.batch_max_jobs if on_gpu or settings.batch_on_cpu else 1


def claim_partners(*, session: Session, lead: Generation, worker: str, limit: int) -> list[Generation]:
    """Other queued jobs that can share the lead's batch: same size and quality, no source image."""
    if limit <= 0 or lead.init_generation_id is not None or lead.init_upload_id is not None:
        return []
    candidates = session.scalars(
        select(Generation.id).where(
            Generation.status == "queued", Generation.cancel_requested.is_(False), Generation.id != lead.id,
            Generation.width == lead.width, Generation.height == lead.height, Generation.quality == lead.quality,
            Generation.init_generation_id.is_(None), Generation.init_upload_id.is_(None),
        ).order_by(Generation.created_at).limit(limit)
    ).all()
    partners = []
    for generation_id in candidates:
        generation = claim(session=session, generation_id=generation_id, worker=worker)
        if generation is not None:
            partners.append(generation)
    return partners


class Heartbeat(threading.Thread):
    """Keeps heartbeat_at fresh while the jobs run, so the sweeper can tell a slow job from a dead worker."""

    def __init__(self, ctx: WorkerContext, generation_ids: list[str]):
        super().__init__(daemon=True, name=f"heartbeat-{generation_ids[0][:8]}")
        self.ctx, self.generation_ids, self.stopped = ctx, generation_ids, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ctx.settings.heartbeat_seconds):
            try:
                with session_scope(self.ctx.session_factory) as session:
                    session.execute(update(Generation).where(
                        Generation.id.in_(self.generation_ids), Generation.status == "running",
                    ).values(heartbeat_at=utcnow()))
                    session.commit()
            except Exception:  # a missed beat is not fatal; the next one may get through
                logger.warning("heartbeat failed for %s", self.generation_ids, exc_info=True)

    def __enter__(self) -> "Heartbeat":
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
