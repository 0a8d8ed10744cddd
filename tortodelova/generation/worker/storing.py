"""Writing results: images into the store (keys recorded only on success), and the final state of each job."""
from __future__ import annotations

import io
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from tortodelova.db import session_scope, utcnow
from tortodelova.generation import lifecycle
from tortodelova.generation.models import Generation
from tortodelova.generation.worker.postprocess import Finished
from tortodelova.generation.worker.progress import set_progress
from tortodelova.pipeline.errors import PipelineError
from tortodelova.storage import image_key, plain_image_key

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext
    from tortodelova.generation.worker.orchestrate import Job
    from tortodelova.pipeline.requests import ImageResult

logger = logging.getLogger(__name__)


def owner_prefix(generation: Generation) -> str:
    return f"users/{generation.user_id}" if generation.user_id is not None else "guests"


def _metadata(job: Job, result: ImageResult, seed: int) -> dict[str, str]:
    generation = job.generation
    return {
        "prompt": job.built.prompt, "negative_prompt": job.built.negative_prompt,
        "negative_prompt_en": job.translation.negative_prompt_en, "prompt_ru": generation.prompt_ru,
        "prompt_en": job.translation.prompt_en, "seed": str(seed), "steps": str(result.steps),
        "guidance": str(result.guidance), "model": result.model,
        "size": f"{generation.width}x{generation.height}", "software": "tortodelova",
    }


def store(ctx: WorkerContext, job: Job, finished: Finished, result: ImageResult) -> None:
    """Store the job's images (and their plain copies, when lettering changed them)."""
    from tortodelova.pipeline.generator import png_bytes

    generation = job.generation
    seeds = result.seeds[job.first:job.first + job.count]
    owner = owner_prefix(generation)
    for index, (image, seed) in enumerate(zip(finished.images, seeds)):
        metadata = _metadata(job, result, seed)
        key = image_key(owner=owner, generation_id=generation.id, index=index)
        job.stored.append(key)
        ctx.store.put(key, png_bytes(image, metadata))
        if finished.plain is not None:
            plain_key = plain_image_key(key)
            job.plain_stored.append(plain_key)
            ctx.store.put(plain_key, png_bytes(finished.plain[index], metadata))
        if index + 1 < len(finished.images):  # the last one's 1.0 comes with the final state, in the same write
            set_progress(ctx, generation.id, 0.9 + 0.1 * (index + 1) / len(finished.images))


def load_init_image(ctx: WorkerContext, generation: Generation):
    from PIL import Image

    if generation.init_upload_id is not None:  # a customer's reference photo (issue 12)
        from tortodelova.uploads.service import init_image_of_upload

        return init_image_of_upload(ctx, generation)
    with session_scope(ctx.session_factory) as session:
        source = session.get(Generation, generation.init_generation_id)
        if (source is None or source.user_id != generation.user_id or source.deleted_at is not None
                or generation.init_index >= len(source.image_keys)):
            raise PipelineError("Исходный дизайн для вариации не найден — возможно, он удалён.")
        key = source.image_keys[generation.init_index]
    image = Image.open(io.BytesIO(ctx.store.get(key))).convert("RGB")
    return image.resize((generation.width, generation.height))


def finish_succeeded(ctx: WorkerContext, job: Job) -> str:
    generation = job.generation
    params = dict(job.params)
    if job.plain_stored:
        params["plain_keys"] = job.plain_stored
    # Seconds per stage in the worker, for the operator and benchmarks.service (the final write itself is logged).
    params["timings"] = {name: round(seconds, 4) for name, seconds in job.timings.items()}
    started = time.perf_counter()
    with session_scope(ctx.session_factory) as session:
        moved = session.execute(
            update(Generation)
            .where(Generation.id == generation.id, Generation.status == "running",
                   Generation.cancel_requested.is_(False))
            .values(status="succeeded", image_keys=job.stored, params=params, progress=1.0, finished_at=utcnow(),
                    error=None, preview_png=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    job.timings["finish"] = time.perf_counter() - started
    logger.info("generation %s %s: %s", generation.id, "succeeded" if moved else "superseded",
                ", ".join(f"{name} {seconds:.3f} s" for name, seconds in job.timings.items()))
    if not moved:
        # The sweeper (or a cancel) ended this job meanwhile and refunded it: images without a charge go too.
        cleanup(ctx, job.stored + job.plain_stored)
        with session_scope(ctx.session_factory) as session:
            if session.scalar(select(Generation.status).where(Generation.id == generation.id)) == "running":
                lifecycle.finish_failed(session=session, generation_id=generation.id,
                                      error="Отменено пользователем", status="cancelled")
        return "superseded"
    return "succeeded"


def finish(ctx: WorkerContext, generation_id: str, error: str, status: str = "failed") -> str:
    with session_scope(ctx.session_factory) as session:
        lifecycle.finish_failed(session=session, generation_id=generation_id, error=error, status=status)
    return status


def cleanup(ctx: WorkerContext, keys: list[str]) -> None:
    for key in keys:
        try:
            ctx.store.delete(key)
        except Exception:
            logger.warning("could not delete %s after a failed job", key, exc_info=True)
