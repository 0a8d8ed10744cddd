"""One run of the worker: claim → load models → batch partners → translate → generate → post-process → store →
succeeded, or failed/cancelled with exactly one refund. Receives ids only; one commit per state change."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tortodelova.db import session_scope
from tortodelova.errors import ServiceUnavailable
from tortodelova.generation.models import Generation
from tortodelova.generation.translation import Translation, TranslationInput, translate_all
from tortodelova.generation.worker import storing
from tortodelova.generation.worker.claim import Heartbeat, batch_limit, claim, claim_partners
from tortodelova.generation.worker.postprocess import postprocess
from tortodelova.generation.worker.progress import Progress, note_cancels, set_progress
from tortodelova.observability import metrics
from tortodelova.observability.logs import current_request_id, request_id_var
from tortodelova.pipeline import prompts
from tortodelova.pipeline.errors import GenerationCancelled, PipelineError
from tortodelova.pipeline.lettering import Inscription  # the lettering to draw (request or quoted text)
from tortodelova.terms import misses as terms_misses
from tortodelova.terms import service as terms_service

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext
    from tortodelova.pipeline.requests import ImageResult

logger = logging.getLogger(__name__)

FAILED_MESSAGE = "Не удалось создать изображение. Кредиты возвращены — попробуйте ещё раз."
STORAGE_FAILED_MESSAGE = "Не удалось сохранить изображение в хранилище. Кредиты возвращены — попробуйте позже."
CANCELLED_MESSAGE = "Отменено пользователем"


@dataclass
class Job:
    """One generation inside a (possibly multi-job) batch: where its images sit and how it ended."""

    generation: Generation
    first: int = 0  # index of its first image in the batch
    translation: Translation | None = None
    inscription: Inscription | None = None
    built: prompts.BuiltPrompt | None = None
    params: dict = field(default_factory=dict)
    stored: list[str] = field(default_factory=list)
    plain_stored: list[str] = field(default_factory=list)
    cancelled: bool = False
    # Seconds per stage inside the worker (kept in params["timings"] and logged): prepare (translation, prompt),
    # encode/denoise/decode (the generator; denoise includes the step callbacks), callbacks (previews, progress,
    # cancel checks), postprocess, store (PNG + object store), finish.
    timings: dict[str, float] = field(default_factory=dict)
    steps: int | None = None  # denoising steps of the batch (for the per-step time metric)
    failure: str | None = None  # why it failed, one of metrics.FAILURE_REASONS


    @property
    def id(self) -> str:
        return self.generation.id

    @property
    def count(self) -> int:
        return len(self.generation.seeds)


def run(ctx: WorkerContext, generation_id: str) -> str:
    """Run this generation (and, on a GPU, up to BATCH_MAX_JOBS-1 queued look-alikes in the same batch) to a final
    state. Returns this generation's final status ("skipped" when it was not queued any more)."""
    started = time.perf_counter()
    with session_scope(ctx.session_factory) as session:
        lead = claim(session=session, generation_id=generation_id, worker=ctx.name)
    if lead is None:
        logger.info("generation %s is not queued any more; skipping", generation_id)
        return "skipped"
    token = request_id_var.set(current_request_id() or lead.request_id)  # a re-queued job: the row's id
    try:
        return _run_claimed(ctx, lead, generation_id, started)
    finally:
        request_id_var.reset(token)


def _run_claimed(ctx, lead: Generation, generation_id: str, started: float) -> str:
    logger.info("generation %s claimed by %s (attempt %s)", lead.id, ctx.name, lead.attempts)
    # Beat from the moment the job is ours: loading the models below may take longer than STALE_AFTER_SECONDS.
    with Heartbeat(ctx, [lead.id]) as heartbeat:
        try:
            generator = ctx.models.generator
        except Exception as exc:
            logger.exception("models failed to load for generation %s", lead.id)
            message = exc.message_ru if isinstance(exc, PipelineError) else FAILED_MESSAGE
            status = storing.finish(ctx, lead.id, message)
            metrics.observe_job(status=status, timings={}, reason="models_unavailable",
                                duration=time.perf_counter() - started)
            return status
        with session_scope(ctx.session_factory) as session:
            partners = claim_partners(session=session, lead=lead, worker=ctx.name,
                                      limit=batch_limit(ctx.settings, generator) - 1)
        if partners:
            logger.info("generation %s runs in a batch with %s", generation_id, [g.id for g in partners])
            heartbeat.generation_ids = [lead.id] + [g.id for g in partners]
        jobs, first = [], 0
        for generation in [lead, *partners]:
            jobs.append(Job(generation=generation, first=first))
            first += len(generation.seeds)
        statuses = run_jobs(ctx, jobs)
        for job in jobs:
            if job.generation.started_at and job.generation.enqueued_at:
                metrics.JOB_QUEUE_WAIT.observe(
                    max(0.0, (job.generation.started_at - job.generation.enqueued_at).total_seconds()))
            metrics.observe_job(status=statuses[job.id], timings=job.timings, steps=job.steps,
                                quality=job.generation.quality, reason=job.failure,
                                duration=time.perf_counter() - started)
        return statuses[generation_id]


def run_jobs(ctx: WorkerContext, jobs: list[Job]) -> dict[str, str]:
    try:
        result = generate(ctx, jobs)
    except GenerationCancelled:
        return {job.id: storing.finish(ctx, job.id, CANCELLED_MESSAGE, status="cancelled") for job in jobs}
    except PipelineError as exc:
        logger.warning("generations %s failed: %s", [job.id for job in jobs], exc.message_ru)
        for job in jobs:
            job.failure = "pipeline_error"
        return {job.id: storing.finish(ctx, job.id, exc.message_ru) for job in jobs}
    except Exception:
        logger.exception("generations %s failed", [job.id for job in jobs])
        for job in jobs:
            job.failure = "internal_error"
        return {job.id: storing.finish(ctx, job.id, FAILED_MESSAGE) for job in jobs}
    return {job.id: finish_job(ctx, job, result) for job in jobs}


def finish_job(ctx: WorkerContext, job: Job, result: ImageResult) -> str:
    if job.cancelled:
        return storing.finish(ctx, job.id, CANCELLED_MESSAGE, status="cancelled")
    try:
        # The single post-processing step between the generator and the store (lettering hooks in here).
        started = time.perf_counter()
        finished = postprocess(ctx, job, result.images[job.first:job.first + job.count])
        job.timings["postprocess"] = time.perf_counter() - started
        started = time.perf_counter()
        storing.store(ctx, job, finished, result)
        job.timings["store"] = time.perf_counter() - started
        return storing.finish_succeeded(ctx, job)
    except ServiceUnavailable as exc:
        logger.warning("generation %s: dependency down: %s", job.id, exc.message)
        job.failure = "storage_unavailable"
        storing.cleanup(ctx, job.stored + job.plain_stored)
        return storing.finish(ctx, job.id, STORAGE_FAILED_MESSAGE)
    except PipelineError as exc:
        logger.warning("generation %s failed after generating: %s", job.id, exc.message_ru)
        job.failure = "pipeline_error"
        storing.cleanup(ctx, job.stored + job.plain_stored)
        return storing.finish(ctx, job.id, exc.message_ru)
    except Exception:
        logger.exception("generation %s failed while storing", job.id)
        job.failure = "internal_error"
        storing.cleanup(ctx, job.stored + job.plain_stored)
        return storing.finish(ctx, job.id, FAILED_MESSAGE)


def resolve_inscription(generation: Generation, translation: Translation) -> Inscription | None:
    if generation.inscription_explicit:  # the request said what to draw (null: nothing)
        if not generation.inscription:
            return None
        return Inscription(generation.inscription, **(generation.inscription_options or {}))
    return Inscription(translation.inscription) if translation.inscription else None


def _options(inscription: Inscription | None) -> dict | None:
    """How the lettering is drawn (font, colour, position): the row keeps them next to its text."""
    return {k: v for k, v in inscription.as_dict().items() if k != "text"} if inscription else None


def chefs_terms(ctx: WorkerContext, jobs: list[Job]) -> dict:
    """Each job's chef's own terms («Мои термины»), read once per batch; a demo design never gets any."""
    owners = {job.id: job.generation.user_id for job in jobs
              if job.generation.user_id is not None and not job.generation.is_demo}
    if not owners:
        return {}
    with session_scope(ctx.session_factory) as session:
        glossaries = {user_id: terms_service.personal_glossary(session=session, user_id=user_id)
                      for user_id in set(owners.values())}
    return {job_id: glossaries[user_id] for job_id, user_id in owners.items()}


def count_misses(ctx: WorkerContext, translations: list[Translation]) -> None:
    """The words no glossary knew, counted for «Слова, которых нет в глоссарии». Never fails the job."""
    lemmas = [lemma for translation in translations for lemma in translation.misses]
    if not lemmas:
        return
    try:
        with session_scope(ctx.session_factory) as session:
            terms_misses.record(session=session, lemmas=lemmas)
    except Exception:
        logger.exception("could not count the glossary misses %s", lemmas)


def prepare(ctx: WorkerContext, jobs: list[Job], tokenizer) -> None:
    """Translate every job in one batch and build its prompt for its style (the same path as the preview)."""
    needs_translator = any(job.generation.negative_prompt or not job.generation.prompt_en_given for job in jobs)
    personal = chefs_terms(ctx, jobs) if needs_translator else {}
    inputs = [TranslationInput(prompt_ru=job.generation.prompt_ru, negative_prompt=job.generation.negative_prompt,
                               prompt_en=job.generation.prompt_en if job.generation.prompt_en_given else None,
                               personal=personal.get(job.id))
              for job in jobs]
    translator = ctx.models.translator if needs_translator else None
    translations = translate_all(translator, inputs)
    count_misses(ctx, translations)
    for job, translation in zip(jobs, translations):
        job.translation = translation
        job.inscription = resolve_inscription(job.generation, translation)
        job.built = prompts.build_prompt(
            translation.prompt_en, style=job.generation.style, negative_extra=translation.negative_prompt_en,
            inscription=job.inscription.text if job.inscription and job.inscription.position == "plaque" else None,
            tokenizer=tokenizer)
        job.params = {"terms": translation.terms, "prompt": job.built.prompt,
                      "negative_prompt": job.built.negative_prompt, "truncated": job.built.truncated}
        set_progress(ctx, job.id, 0.05, prompt_en=translation.prompt_en,
                     negative_prompt_en=translation.negative_prompt_en or None,
                     inscription=job.inscription.text if job.inscription else None,
                     inscription_options=_options(job.inscription),
                     params=job.params)


def generate(ctx: WorkerContext, jobs: list[Job]) -> ImageResult:
    from tortodelova.pipeline.generator import ImageRequest

    # 1. Translate and build each job's prompt for its style.
    generator = ctx.models.generator
    started = time.perf_counter()
    prepare(ctx, jobs, getattr(generator, "tokenizer", None))
    prepared = time.perf_counter() - started

    # 2. The source image of a variation (such a job always runs alone).
    lead = jobs[0].generation
    varies = lead.init_generation_id is not None or lead.init_upload_id is not None
    init_image = storing.load_init_image(ctx, lead) if varies else None

    # 3. Denoise every image of every job as one batch, one seed per image; cancel stops at the next step.
    per_image = [job for job in jobs for _ in range(job.count)]
    single = len(jobs) == 1
    request = ImageRequest(
        prompt=jobs[0].built.prompt if single else [job.built.prompt for job in per_image],
        negative_prompt=jobs[0].built.negative_prompt if single else [job.built.negative_prompt for job in per_image],
        width=lead.width, height=lead.height, seeds=[seed for job in jobs for seed in job.generation.seeds],
        quality=lead.quality, init_image=init_image, strength=lead.strength,
        preview_indices=[job.first for job in jobs],
    )
    progress = Progress(ctx, jobs)
    result = generator(request, callback=progress)
    note_cancels(ctx, jobs)
    for job in jobs:
        job.timings.update(prepare=prepared, **result.timings, callbacks=progress.seconds)
        job.steps = getattr(result, "steps", None)
    if all(job.cancelled for job in jobs):
        raise GenerationCancelled()
    return result
