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
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from tortodelova.accounts.models import RevokedToken
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
INSCRIPTION_ONLY_PROMPT = "an elegant celebration cake"


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
        """Load both models now (at worker start) instead of on the first job."""
        _ = self.translator, self.generator


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


@dataclass
class _Job:
    """One generation inside a (possibly multi-job) batch: where its images sit and how it ended."""

    generation: Generation
    first: int = 0  # index of its first image in the batch
    prompt_en: str = ""
    terms: list = field(default_factory=list)
    inscription: str | None = None
    built: object = None
    stored: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def id(self) -> str:
        return self.generation.id

    @property
    def count(self) -> int:
        return len(self.generation.seeds)


class _Progress:
    """Step callback for a batch: writes progress and each job's latent preview (throttled) and notes cancels.
    A cancelled job in a shared batch is dropped at the end; when every job is cancelled the batch stops."""

    def __init__(self, ctx: WorkerContext, jobs: list[_Job], start: float = 0.05, end: float = 0.9):
        self.ctx, self.jobs, self.start, self.end = ctx, jobs, start, end
        self._last_write = 0.0

    def __call__(self, step: int, total: int, previews=None) -> None:
        if self.ctx.settings.step_delay_seconds:
            time.sleep(self.ctx.settings.step_delay_seconds)
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
                    buf = io.BytesIO()
                    previews[index].save(buf, format="PNG")
                    values["preview_png"] = buf.getvalue()
                session.execute(update(Generation).where(Generation.id == job.id).values(**values))
            flags = dict(session.execute(select(Generation.id, Generation.cancel_requested)
                                         .where(Generation.id.in_([job.id for job in self.jobs]))).all())
            session.commit()
        for job in self.jobs:
            job.cancelled = job.cancelled or bool(flags.get(job.id))
        if all(job.cancelled for job in self.jobs):
            raise GenerationCancelled()


def set_progress(ctx: WorkerContext, generation_id: str, progress: float, **values) -> None:
    with session_scope(ctx.session_factory) as session:
        session.execute(update(Generation).where(Generation.id == generation_id)
                        .values(progress=progress, heartbeat_at=utcnow(), **values))
        session.commit()


def owner_prefix(generation: Generation) -> str:
    return f"users/{generation.user_id}" if generation.user_id is not None else "guests"


def batch_limit(ctx: WorkerContext) -> int:
    """How many queued jobs one run may take: batching pays on a GPU; on a CPU it only delays the first job."""
    if ctx.settings.batch_max_jobs <= 1:
        return 1
    device = getattr(ctx.generator, "device", None)
    on_gpu = getattr(device, "type", "cpu") != "cpu"
    return ctx.settings.batch_max_jobs if on_gpu or ctx.settings.batch_on_cpu else 1


def claim_partners(*, session: Session, lead: Generation, worker: str, limit: int) -> list[Generation]:
    """Other queued jobs that can share the lead's batch: same size and quality, no source image."""
    if limit <= 0 or lead.init_generation_id is not None:
        return []
    candidates = session.scalars(
        select(Generation.id).where(
            Generation.status == "queued", Generation.cancel_requested.is_(False), Generation.id != lead.id,
            Generation.width == lead.width, Generation.height == lead.height, Generation.quality == lead.quality,
            Generation.init_generation_id.is_(None),
        ).order_by(Generation.created_at).limit(limit)
    ).all()
    partners = []
    for generation_id in candidates:
        generation = claim(session=session, generation_id=generation_id, worker=worker)
        if generation is not None:
            partners.append(generation)
    return partners


def run(ctx: WorkerContext, generation_id: str) -> str:
    """Run this generation (and, on a GPU, up to BATCH_MAX_JOBS-1 queued look-alikes in the same batch) to a final
    state. Returns this generation's final status ("skipped" when it was not queued any more)."""
    with session_scope(ctx.session_factory) as session:
        lead = claim(session=session, generation_id=generation_id, worker=ctx.name)
        if lead is None:
            logger.info("generation %s is not queued any more; skipping", generation_id)
            return "skipped"
        batch = [lead]
    # Beat from the moment the job is ours: loading the models below may take longer than STALE_AFTER_SECONDS.
    heartbeat = _Heartbeat(ctx, [lead.id])
    heartbeat.start()
    try:
        try:
            limit = batch_limit(ctx) - 1
        except Exception:  # models failed to load: _run_jobs reports it as this job's failure, with a refund
            limit = 0
        with session_scope(ctx.session_factory) as session:
            batch += claim_partners(session=session, lead=lead, worker=ctx.name, limit=limit)
        if len(batch) > 1:
            logger.info("generation %s runs in a batch with %s", generation_id, [g.id for g in batch[1:]])
            heartbeat.generation_ids = [g.id for g in batch]
        jobs, first = [], 0
        for generation in batch:
            jobs.append(_Job(generation=generation, first=first))
            first += len(generation.seeds)
        outcomes = _run_jobs(ctx, jobs)
    finally:
        heartbeat.stopped.set()
    return outcomes[generation_id]


def _run_jobs(ctx: WorkerContext, jobs: list[_Job]) -> dict[str, str]:
    try:
        result = _generate(ctx, jobs)
    except GenerationCancelled:
        return {job.id: _finish(ctx, job.id, "Отменено пользователем", status="cancelled") for job in jobs}
    except PipelineError as exc:
        logger.warning("generations %s failed: %s", [job.id for job in jobs], exc.message_ru)
        return {job.id: _finish(ctx, job.id, exc.message_ru) for job in jobs}
    except Exception:
        logger.exception("generations %s failed", [job.id for job in jobs])
        return {job.id: _finish(ctx, job.id, FAILED_MESSAGE) for job in jobs}

    outcomes = {}
    for job in jobs:
        if job.cancelled:
            outcomes[job.id] = _finish(ctx, job.id, "Отменено пользователем", status="cancelled")
            continue
        try:
            _store(ctx, job, result)
            outcomes[job.id] = _finish_succeeded(ctx, job.generation, job.stored)
        except service.ServiceUnavailable as exc:
            logger.warning("generation %s: dependency down: %s", job.id, exc.message)
            _cleanup(ctx, job.stored)
            outcomes[job.id] = _finish(ctx, job.id, STORAGE_FAILED_MESSAGE)
        except Exception:
            logger.exception("generation %s failed while storing", job.id)
            _cleanup(ctx, job.stored)
            outcomes[job.id] = _finish(ctx, job.id, FAILED_MESSAGE)
    return outcomes


def _translate(ctx: WorkerContext, jobs: list[_Job]) -> None:
    """One batched translation for every job whose English prompt the user did not write themselves."""
    pending = []
    for job in jobs:
        text, job.inscription = prompts.extract_inscription(job.generation.prompt_ru)
        if job.generation.prompt_en_given:
            job.prompt_en = job.generation.prompt_en
        elif not text.strip():  # only an inscription was asked for: a plain cake with a plaque
            job.prompt_en = INSCRIPTION_ONLY_PROMPT
        else:
            pending.append((job, text))
    if pending:
        translations = ctx.translator.translate([text for _job, text in pending])
        for (job, _text), translation in zip(pending, translations):
            job.prompt_en = translation.prompt_en
            job.terms = [{"ru": t.ru, "en": t.en} for t in translation.terms]


def _generate(ctx: WorkerContext, jobs: list[_Job]):
    from tortodelova.pipeline.generator import ImageRequest

    # 1. Translate and build each job's prompt for its style.
    _translate(ctx, jobs)
    generator = ctx.generator
    for job in jobs:
        job.built = prompts.build_prompt(job.prompt_en, style=job.generation.style,
                                         negative_extra=job.generation.negative_prompt, inscription=job.inscription,
                                         tokenizer=getattr(generator, "tokenizer", None))
        set_progress(ctx, job.id, 0.05, prompt_en=job.prompt_en, inscription=job.inscription,
                     params={"terms": job.terms, "prompt": job.built.prompt,
                             "negative_prompt": job.built.negative_prompt, "truncated": job.built.truncated})

    # 2. The source image of a variation (such a job always runs alone).
    lead = jobs[0].generation
    init_image = _load_init_image(ctx, lead) if lead.init_generation_id is not None else None

    # 3. Denoise every image of every job as one batch, one seed per image; cancel stops at the next step.
    per_image = [job for job in jobs for _ in range(job.count)]
    request = ImageRequest(
        prompt=[job.built.prompt for job in per_image] if len(jobs) > 1 else jobs[0].built.prompt,
        negative_prompt=[job.built.negative_prompt for job in per_image] if len(jobs) > 1
        else jobs[0].built.negative_prompt,
        width=lead.width, height=lead.height, seeds=[seed for job in jobs for seed in job.generation.seeds],
        quality=lead.quality, init_image=init_image, strength=lead.strength,
        preview_indices=[job.first for job in jobs],
    )
    result = generator(request, callback=_Progress(ctx, jobs))
    _note_cancels(ctx, jobs)
    if all(job.cancelled for job in jobs):
        raise GenerationCancelled()
    return result


def _store(ctx: WorkerContext, job: _Job, result) -> None:
    """Store the job's images; keys are recorded on the row only when the job succeeds."""
    from tortodelova.pipeline.generator import png_bytes

    generation = job.generation
    images = result.images[job.first:job.first + job.count]
    seeds = result.seeds[job.first:job.first + job.count]
    for index, (image, seed) in enumerate(zip(images, seeds)):
        key = image_key(owner=owner_prefix(generation), generation_id=generation.id, index=index)
        data = png_bytes(image, {
            "prompt": job.built.prompt, "negative_prompt": job.built.negative_prompt,
            "prompt_ru": generation.prompt_ru, "prompt_en": job.prompt_en, "seed": str(seed),
            "steps": str(result.steps), "guidance": str(result.guidance), "model": result.model,
            "size": f"{generation.width}x{generation.height}", "software": "tortodelova",
        })
        job.stored.append(key)
        ctx.store.put(key, data)
        set_progress(ctx, generation.id, 0.9 + 0.1 * (index + 1) / len(images))


def _load_init_image(ctx: WorkerContext, generation: Generation):
    from PIL import Image

    with session_scope(ctx.session_factory) as session:
        source = session.get(Generation, generation.init_generation_id)
        if source is None or source.user_id != generation.user_id or generation.init_index >= len(source.image_keys):
            raise PipelineError("Исходный дизайн для вариации не найден — возможно, он удалён.")
        key = source.image_keys[generation.init_index]
    image = Image.open(io.BytesIO(ctx.store.get(key))).convert("RGB")
    return image.resize((generation.width, generation.height))


def _note_cancels(ctx: WorkerContext, jobs: list[_Job]) -> None:
    with session_scope(ctx.session_factory) as session:
        flags = dict(session.execute(select(Generation.id, Generation.cancel_requested)
                                     .where(Generation.id.in_([job.id for job in jobs]))).all())
    for job in jobs:
        job.cancelled = job.cancelled or bool(flags.get(job.id))


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
        # Signed-out tokens past their expiry are refused by the signature check anyway.
        session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        session.commit()
    if any(report.values()):
        logger.info("sweep: %s", report)
    return report
