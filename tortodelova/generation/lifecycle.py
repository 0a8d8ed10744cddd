"""How a generation starts and ends: its queued row (one constructor for the paid and the demo path), enqueue (or
fail and refund at once when the queue is down), and the move to failed/cancelled with its refund in one transaction.

Shared by the web-side `generation.service` and the worker (`generation.worker`), which does not import the service
(an import-linter contract says so)."""
from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from tortodelova.billing import service as billing
from tortodelova.db import utcnow
from tortodelova.errors import ServiceUnavailable
from tortodelova.generation.models import Generation
from tortodelova.generation.queue import JobQueue
from tortodelova.observability.logs import current_request_id
from tortodelova.vocabulary import SIZES

logger = logging.getLogger(__name__)
QUEUE_DOWN = "Очередь заданий недоступна, кредиты возвращены. Попробуйте позже."


def queued_row(*, user_id: str | None, prompt_ru: str, style: str, size: str, quality: str, seeds: list[int],
               cost: int, **fields) -> Generation:
    """A new generation waiting for the worker: its pixel size from the size name, one variant per seed; `fields`:
    the rest of the request (English prompt, image-to-image source, inscription, `is_demo`). The row keeps the id of
    the request that made it, so the worker's log lines carry it too."""
    dimensions = SIZES[size]
    return Generation(user_id=user_id, status="queued", prompt_ru=prompt_ru, style=style, size=size,
                      width=dimensions.width, height=dimensions.height, variants=len(seeds), quality=quality,
                      seeds=seeds, cost=cost, enqueued_at=utcnow(), request_id=current_request_id(), **fields)


def enqueue_or_refund(*, session: Session, queue: JobQueue, generation: Generation) -> None:
    try:
        queue.enqueue_generation(generation.id)
    except Exception:
        logger.exception("enqueue failed for generation %s", generation.id)
        finish_failed(session=session, generation_id=generation.id, error=QUEUE_DOWN)
        raise ServiceUnavailable(QUEUE_DOWN) from None


def finish_failed(*, session: Session, generation_id: str, error: str, status: str = "failed") -> bool:
    """Move a generation that is not final yet to failed/cancelled and refund it, in one transaction.
    Returns False if another actor already finished it (then nothing changes)."""
    moved = session.execute(
        update(Generation)
        .where(Generation.id == generation_id, Generation.status.in_(("queued", "running")))
        .values(status=status, error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        reason = "Возврат: отмена" if status == "cancelled" else "Возврат: генерация не удалась"
        billing.refund(session=session, generation_id=generation_id, reason=reason)
    session.commit()
    return bool(moved)
