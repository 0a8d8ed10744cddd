"""The worker side of a generation: claim → translate → generate → store → succeeded, or failed + refund.

Runs in Huey consumer processes (or the in-process consumer of `python app.py`). Receives ids only, opens its own
sessions, and commits once per state change. The models are loaded once per process through `WorkerContext`.
"""
from __future__ import annotations

import io
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tortodelova.config import Settings
from tortodelova.db import make_engine, make_sessionmaker, session_scope, utcnow
from tortodelova.generation import service
from tortodelova.generation.models import Generation
from tortodelova.pipeline import prompts
from tortodelova.pipeline.errors import GenerationCancelled, ModelsMissing, PipelineError
from tortodelova.storage import ImageStore, image_key, make_store

logger = logging.getLogger(__name__)

FAILED_MESSAGE = "Не удалось создать изображение. Кредиты возвращены — попробуйте ещё раз."
STORAGE_FAILED_MESSAGE = "Не удалось сохранить изображение в хранилище. Кредиты возвращены — попробуйте позже."
PROGRESS_WRITE_INTERVAL = 0.5


class WorkerContext:
    """Everything a worker process holds for its lifetime: DB sessions, the image store and the models.

    Components can be injected (tests pass a store that fails on purpose); otherwise they are built from settings.
    The translator and generator are loaded lazily, once, on first use or by `load()` at worker start."""

    def __init__(self, settings: Settings, *, session_factory: sessionmaker[Session] | None = None,
                 store: ImageStore | None = None, translator=None, generator=None, name: str | None = None):
        self.settings = settings
        self.session_factory = session_factory or make_sessionmaker(make_engine(settings.sqlalchemy_url))
        self.store = store or make_store(settings)
        self._translator = translator
        self._generator = generator
        self._lock = threading.Lock()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    def _check_models(self) -> None:
        from tortodelova.pipeline.models import check_models

        status = check_models(self.settings.models_dir)
        if not status.ok:
            raise ModelsMissing(missing=status.missing)

    @property
    def translator(self):
        with self._lock:
            if self._translator is None:
                self._check_models()
                from tortodelova.pipeline.models import TRANSLATOR_DIR
                from tortodelova.pipeline.translator import Translator

                self._translator = Translator.from_pretrained(self.settings.models_dir / TRANSLATOR_DIR)
            return self._translator

    @property
    def generator(self):
        with self._lock:
            if self._generator is None:
                self._check_models()
                from tortodelova.pipeline.generator import CakeGenerator

                self._generator = CakeGenerator.from_pretrained(self.settings.models_dir)
            return self._generator

    def load(self) -> None:
        self.translator
        self.generator


def translate_text(ctx: WorkerContext, prompt_ru: str) -> dict:
    text, _inscription = prompts.extract_inscription(prompt_ru)
    translation = ctx.translator.translate([text])[0]
    return {"prompt_en": translation.prompt_en, "terms": [{"ru": t.ru, "en": t.en} for t in translation.terms]}


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


class _Heartbeat(threading.Thread):
    """Keeps heartbeat_at fresh while the job runs, so the sweeper can tell a slow job from a dead worker."""

    def __init__(self, ctx: WorkerContext, generation_id: str):
        super().__init__(daemon=True, name=f"heartbeat-{generation_id[:8]}")
        self.ctx, self.generation_id, self.stopped = ctx, generation_id, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ctx.settings.heartbeat_seconds):
            try:
                with session_scope(self.ctx.session_factory) as session:
                    session.execute(update(Generation).where(
                        Generation.id == self.generation_id, Generation.status == "running",
                    ).values(heartbeat_at=utcnow()))
                    session.commit()
            except Exception:  # a missed beat is not fatal; the next one may get through
                logger.warning("heartbeat failed for %s", self.generation_id, exc_info=True)


class _Progress:
    """Step callback: writes progress and a latent preview (throttled) and stops the job when cancel is asked."""

    def __init__(self, ctx: WorkerContext, generation_id: str, start: float = 0.05, end: float = 0.9):
        self.ctx, self.generation_id, self.start, self.end = ctx, generation_id, start, end
        self._last_write = 0.0

    def __call__(self, step: int, total: int, preview=None) -> None:
        if self.ctx.settings.step_delay_seconds:
            time.sleep(self.ctx.settings.step_delay_seconds)
        now = time.monotonic()
        if preview is None and now - self._last_write < PROGRESS_WRITE_INTERVAL and step < total:
            return
        self._last_write = now
        values = {"progress": self.start + (self.end - self.start) * min(step, total) / max(total, 1),
                  "heartbeat_at": utcnow()}
        if preview is not None:
            buf = io.BytesIO()
            preview.save(buf, format="PNG")
            values["preview_png"] = buf.getvalue()
        with session_scope(self.ctx.session_factory) as session:
            session.execute(update(Generation).where(Generation.id == self.generation_id).values(**values))
            cancel = session.scalar(select(Generation.cancel_requested).where(Generation.id == self.generation_id))
            session.commit()
        if cancel:
            raise GenerationCancelled()


def set_progress(ctx: WorkerContext, generation_id: str, progress: float, **values) -> None:
    with session_scope(ctx.session_factory) as session:
        session.execute(update(Generation).where(Generation.id == generation_id)
                        .values(progress=progress, heartbeat_at=utcnow(), **values))
        session.commit()


def owner_prefix(generation: Generation) -> str:
    return f"users/{generation.user_id}" if generation.user_id is not None else "guests"


def run(ctx: WorkerContext, generation_id: str) -> str:
    """Run one generation to a final state. Returns the final status ("skipped" when not ours to run)."""
    with session_scope(ctx.session_factory) as session:
        generation = claim(session=session, generation_id=generation_id, worker=ctx.name)
        if generation is None:
            logger.info("generation %s is not queued any more; skipping", generation_id)
            return "skipped"
        session.expunge(generation)

    heartbeat = _Heartbeat(ctx, generation_id)
    heartbeat.start()
    stored: list[str] = []
    try:
        _produce(ctx, generation, stored)
        return _finish_succeeded(ctx, generation, stored)
    except GenerationCancelled:
        _cleanup(ctx, stored)
        return _finish(ctx, generation_id, "Отменено пользователем", status="cancelled")
    except PipelineError as exc:
        logger.warning("generation %s failed: %s", generation_id, exc.message_ru)
        _cleanup(ctx, stored)
        return _finish(ctx, generation_id, exc.message_ru)
    except service.ServiceUnavailable as exc:
        logger.warning("generation %s: dependency down: %s", generation_id, exc.message)
        _cleanup(ctx, stored)
        return _finish(ctx, generation_id, STORAGE_FAILED_MESSAGE)
    except Exception:
        logger.exception("generation %s failed", generation_id)
        _cleanup(ctx, stored)
        return _finish(ctx, generation_id, FAILED_MESSAGE)
    finally:
        heartbeat.stopped.set()


def _produce(ctx: WorkerContext, generation: Generation, stored: list[str]) -> None:
    """Translate, generate and store; `stored` collects the keys written so far, so a failure can remove them."""
    from tortodelova.pipeline.generator import ImageRequest, png_bytes

    # 1. Translate (unless the user edited the English prompt) and build the prompt for the style.
    prompt_ru, inscription = prompts.extract_inscription(generation.prompt_ru)
    if generation.prompt_en_given:
        prompt_en, terms = generation.prompt_en, []
    else:
        translation = ctx.translator.translate([prompt_ru])[0]
        prompt_en, terms = translation.prompt_en, [{"ru": t.ru, "en": t.en} for t in translation.terms]
    generator = ctx.generator
    built = prompts.build_prompt(prompt_en, style=generation.style, negative_extra=generation.negative_prompt,
                                 inscription=inscription, tokenizer=getattr(generator, "tokenizer", None))
    set_progress(ctx, generation.id, 0.05, prompt_en=prompt_en, inscription=inscription,
                 params={"terms": terms, "prompt": built.prompt, "negative_prompt": built.negative_prompt,
                         "truncated": built.truncated})

    # 2. The source image of a variation, from the same user's design.
    init_image = None
    if generation.init_generation_id is not None:
        init_image = _load_init_image(ctx, generation)

    # 3. Denoise with progress and previews; cancel stops at the next step.
    result = generator(
        ImageRequest(prompt=built.prompt, negative_prompt=built.negative_prompt, width=generation.width,
                     height=generation.height, seeds=list(generation.seeds), quality=generation.quality,
                     init_image=init_image, strength=generation.strength),
        callback=_Progress(ctx, generation.id),
    )
    _raise_if_cancelled(ctx, generation.id)

    # 4. Store every image; keys are recorded on the row only when the job succeeds.
    for index, (image, seed) in enumerate(zip(result.images, result.seeds)):
        key = image_key(owner=owner_prefix(generation), generation_id=generation.id, index=index)
        data = png_bytes(image, {
            "prompt": built.prompt, "negative_prompt": built.negative_prompt, "prompt_ru": generation.prompt_ru,
            "prompt_en": prompt_en, "seed": str(seed), "steps": str(result.steps), "guidance": str(result.guidance),
            "model": result.model, "size": f"{generation.width}x{generation.height}", "software": "tortodelova",
        })
        stored.append(key)
        ctx.store.put(key, data)
        set_progress(ctx, generation.id, 0.9 + 0.1 * (index + 1) / len(result.images))


def _load_init_image(ctx: WorkerContext, generation: Generation):
    from PIL import Image

    with session_scope(ctx.session_factory) as session:
        source = session.get(Generation, generation.init_generation_id)
        if source is None or source.user_id != generation.user_id or generation.init_index >= len(source.image_keys):
            raise PipelineError("Исходный дизайн для вариации не найден — возможно, он удалён.")
        key = source.image_keys[generation.init_index]
    image = Image.open(io.BytesIO(ctx.store.get(key))).convert("RGB")
    return image.resize((generation.width, generation.height))


def _raise_if_cancelled(ctx: WorkerContext, generation_id: str) -> None:
    with session_scope(ctx.session_factory) as session:
        if session.scalar(select(Generation.cancel_requested).where(Generation.id == generation_id)):
            raise GenerationCancelled()


def _finish_succeeded(ctx: WorkerContext, generation: Generation, keys: list[str]) -> str:
    with session_scope(ctx.session_factory) as session:
        moved = session.execute(
            update(Generation)
            .where(Generation.id == generation.id, Generation.status == "running",
                   Generation.cancel_requested.is_(False))
            .values(status="succeeded", image_keys=keys, progress=1.0, finished_at=utcnow(), error=None,
                    preview_png=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    if not moved:
        # The sweeper (or a cancel) ended this job meanwhile and refunded it: images without a charge go too.
        _cleanup(ctx, keys)
        with session_scope(ctx.session_factory) as session:
            if session.scalar(select(Generation.status).where(Generation.id == generation.id)) == "running":
                service.finish_failed(session=session, generation_id=generation.id,
                                      error="Отменено пользователем", status="cancelled")
        return "superseded"
    return "succeeded"


def _finish(ctx: WorkerContext, generation_id: str, error: str, status: str = "failed") -> str:
    with session_scope(ctx.session_factory) as session:
        service.finish_failed(session=session, generation_id=generation_id, error=error, status=status)
    return status


def _cleanup(ctx: WorkerContext, keys: list[str]) -> None:
    for key in keys:
        try:
            ctx.store.delete(key)
        except Exception:
            logger.warning("could not delete %s after a failed job", key, exc_info=True)


def sweep(*, ctx: WorkerContext, pending_ids: set[str], enqueue) -> dict:
    """Periodic repair, safe to run from several workers at once (every change is a conditional UPDATE):
    - running rows whose heartbeat is stale (the worker died): re-run while attempts remain, else fail + refund;
    - queued rows that are not in the queue any more (lost with a Redis restart): enqueue again."""
    settings = ctx.settings
    now = utcnow()
    report = {"requeued": [], "failed": [], "reenqueued": []}
    with session_scope(ctx.session_factory) as session:
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
            elif service.finish_failed(session=session, generation_id=generation.id,
                                       error="Обработчик заданий остановился. Кредиты возвращены."):
                report["failed"].append(generation.id)

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
    if any(report.values()):
        logger.info("sweep: %s", report)
    return report
