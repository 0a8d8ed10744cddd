"""Generations: submit (price → charge + row in one transaction → enqueue), read, cancel, delete, share, preview.

Called by the REST views and the Gradio handlers alike with a validated `GenerationRequest`; the worker side lives
in `generation.worker`. Builds no URL: the public object comes from `generation.public` with the edge's `Links`.
"""
from __future__ import annotations

import logging
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova import vocabulary
from tortodelova.accounts.models import User
from tortodelova.billing import pricing
from tortodelova.billing import service as billing
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.errors import ACCOUNT_GONE, Conflict, InvalidInput, NotAuthenticated, NotFound, ServiceUnavailable
from tortodelova.generation.inscriptions.rules import check_request
from tortodelova.generation.lifecycle import QUEUE_DOWN, enqueue_or_refund, finish_failed, queued_row
from tortodelova.generation.models import FINAL_STATUSES, Generation, ShareLink
from tortodelova.generation.public import public_page, queue_positions, to_public
from tortodelova.generation.queue import JobQueue
from tortodelova.generation.schemas import DemoCreate, GenerationRequest, TranslateRequest, parse_request
from tortodelova.generation.translation import TranslationInput
from tortodelova.observability import metrics
from tortodelova.pipeline.errors import PipelineError
from tortodelova.storage import ImageStore, plain_image_key
from tortodelova.terms import service as terms_service
from tortodelova.vocabulary import SEED_MAX, STATUS_TITLES

__all__ = [
    "QUEUE_DOWN", "SEED_MAX", "STATUS_TITLES", "cancel", "delete", "ensure_models_present", "enqueue_or_refund",
    "finish_failed", "get_owned", "get_shared", "image_key_for", "list_for_user", "public_page", "queue_depth",
    "queue_position", "share", "share_link_of", "submit", "to_public", "translate", "unshare", "validate_prompt",
    "validate_style",
]
logger = logging.getLogger(__name__)


def validate_prompt(prompt) -> str:
    """The demo's subset of the request rules (kept for callers that hold loose values)."""
    return parse_request({"prompt": prompt}, DemoCreate).prompt


def validate_style(style) -> str:
    return parse_request({"prompt": "-", "style": style}, DemoCreate).style


def ensure_models_present(settings: Settings) -> None:
    """Say what to run once, instead of charging and failing every job while the models are not installed."""
    if not settings.require_models:
        return
    from tortodelova.pipeline.models import check_models

    status = check_models(settings.models_dir)
    if not status.ok:
        raise ServiceUnavailable(
            f"Модели не установлены ({', '.join(status.missing)}). Администратору: выполните "
            "`python download_models.py` и перезапустите сервис."
        )


def _seeds(request: GenerationRequest) -> list[int]:
    if request.seed is None:
        return [secrets.randbelow(SEED_MAX) for _ in range(request.variants)]
    return [(request.seed + i) % (SEED_MAX + 1) for i in range(request.variants)]


def _check_source(*, session: Session, user: User, request: GenerationRequest) -> None:
    if request.init_generation_id is not None:
        source = get_owned(session=session, user=user, generation_id=request.init_generation_id)
        if source.status != "succeeded" or (request.init_index or 0) >= len(source.image_keys):
            raise InvalidInput("Для похожего дизайна выберите готовое изображение")
    if request.init_upload_id is not None and not _upload_exists(session=session, user=user,
                                                                 upload_id=request.init_upload_id):
        raise NotFound("Фото-образец не найдено")


def _upload_exists(*, session: Session, user: User, upload_id: str) -> bool:
    """Uploads are their own package (issue 12); until it exists no upload id is known."""
    try:
        from tortodelova.uploads import service as uploads  # noqa: PLC0415
    except ImportError:
        return False
    return uploads.exists(session=session, user=user, upload_id=upload_id)


def submit(*, session: Session, settings: Settings, queue: JobQueue, user: User,
           request: GenerationRequest) -> Generation:
    ensure_models_present(settings)
    _check_source(session=session, user=user, request=request)
    check_request(request)  # the inscription: emoji or too long → 422, not charged
    cost = pricing.price(size=request.size, quality=request.quality, variants=request.variants)
    varies = request.init_generation_id is not None or request.init_upload_id is not None
    inscription = request.inscription
    generation = queued_row(
        user_id=user.id, prompt_ru=request.prompt, style=request.style, size=request.size, quality=request.quality,
        seeds=_seeds(request), cost=cost, prompt_en=request.prompt_en, prompt_en_given=request.prompt_en is not None,
        negative_prompt=request.negative_prompt,
        init_generation_id=request.init_generation_id, init_upload_id=request.init_upload_id,
        init_index=(request.init_index or 0) if request.init_generation_id is not None else None,
        strength=(request.strength or vocabulary.STRENGTH_DEFAULT) if varies else None,
        inscription_explicit=request.inscription_given,
        inscription=inscription.text if inscription else None,
        inscription_options=inscription.model_dump(exclude={"text"}) if inscription else None,
    )
    session.add(generation)
    try:
        session.flush()
        billing.charge(session=session, user_id=user.id, cost=cost, generation_id=generation.id,
                       description=f"Дизайн: {request.prompt[:80]}")
        session.commit()
    except IntegrityError:
        # An admin deleted the user after the request was authenticated: the row cannot point at them.
        session.rollback()
        raise NotAuthenticated(ACCOUNT_GONE) from None
    except Exception:
        session.rollback()
        raise
    enqueue_or_refund(session=session, queue=queue, generation=generation)
    metrics.JOBS_SUBMITTED.labels(quality=generation.quality).inc()
    logger.info("generation %s queued: %s, %s, %s credits", generation.id, generation.quality, generation.size, cost)
    return generation


REFINE_QUALITIES = ("fast", "standard")


def refine_request(source: Generation, *, index: int, quality: str) -> GenerationRequest:
    """«Доработать»: the request that re-renders image ``index`` of the draft ``source`` in ``quality``.

    The same prompt, style, size, negative prompt, English prompt and lettering; one image, from that image (img2img
    at :data:`~tortodelova.vocabulary.REFINE_STRENGTH`) with that image's seed, so the composition stays. Over REST the
    same request is POST /api/generations with ``init_generation_id``, ``init_index``, ``seed``, ``strength`` and
    ``quality``."""
    if source.quality != "draft":
        raise InvalidInput("Доработать можно только черновик")
    if quality not in REFINE_QUALITIES:
        raise InvalidInput("Черновик дорабатывается в качестве «Быстро» или «Качественно»")
    if source.status != "succeeded" or not 0 <= index < len(source.image_keys or []):
        raise InvalidInput("Для доработки выберите готовое изображение черновика")
    fields = {
        "prompt": source.prompt_ru, "style": source.style, "size": source.size, "variants": 1, "quality": quality,
        "negative_prompt": source.negative_prompt or "", "seed": (source.seeds or [None] * (index + 1))[index],
        "init_generation_id": source.id, "init_index": index, "strength": vocabulary.REFINE_STRENGTH,
    }
    if source.prompt_en_given:
        fields["prompt_en"] = source.prompt_en
    if source.inscription:
        fields["inscription"] = {"text": source.inscription, **(source.inscription_options or {})}
    elif source.inscription_explicit:
        fields["inscription"] = None
    return parse_request({k: v for k, v in fields.items() if v is not None or k == "inscription"})


def refine(*, session: Session, settings: Settings, queue: JobQueue, user: User, generation_id: str, index: int,
           quality: str) -> Generation:
    """Submit «Доработать» for the user's own draft (charged at ``quality``'s price)."""
    source = get_owned(session=session, user=user, generation_id=generation_id)
    request = refine_request(source, index=index, quality=quality)
    return submit(session=session, settings=settings, queue=queue, user=user, request=request)


def _valid_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= vocabulary.ID_MAX_CHARS and "\x00" not in value


def get_owned(*, session: Session, user: User, generation_id: str) -> Generation:
    """The user's own, not deleted generation; anyone else's (or a malformed id) is simply not found."""
    generation = session.get(Generation, generation_id) if _valid_id(generation_id) else None
    if generation is None or generation.user_id != user.id or generation.deleted_at is not None:
        raise NotFound("Дизайн не найден")
    return generation


def list_for_user(*, session: Session, user: User, limit: int = 20, offset: int = 0,
                  status: str | None = None) -> tuple[list[Generation], int]:
    query = select(Generation).where(Generation.user_id == user.id, Generation.deleted_at.is_(None))
    if status:
        query = query.where(Generation.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Generation.created_at.desc(), Generation.id).limit(limit).offset(offset)
    ).all()
    return list(items), total


def queue_position(*, session: Session, generation: Generation) -> int | None:
    """1 for the next job to start; None once it is no longer waiting."""
    return queue_positions(session=session, generations=[generation]).get(generation.id)


def queue_depth(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Generation).where(Generation.status == "queued")) or 0


def cancel(*, session: Session, user: User, generation_id: str) -> Generation:
    """A queued job is cancelled and refunded at once; a running one is flagged and stops at its next step."""
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status in FINAL_STATUSES:
        raise Conflict(f"Дизайн уже завершён: {STATUS_TITLES[generation.status].lower()}")
    session.execute(update(Generation).where(Generation.id == generation.id).values(cancel_requested=True))
    session.commit()
    if generation.status == "queued":
        finish_failed(session=session, generation_id=generation.id, error="Отменено пользователем",
                      status="cancelled")
    session.refresh(generation)
    return generation


def delete(*, session: Session, store: ImageStore, user: User, generation_id: str) -> None:
    """Soft delete: a queued or running design is cancelled first (refunded exactly once, now or when its worker
    stops); its images and share link go; the row stays, hidden, so the ledger keeps its generation_id."""
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status in ("queued", "running"):
        cancel(session=session, user=user, generation_id=generation_id)
    keys = stored_keys(generation)
    link = share_link_of(session=session, generation_id=generation.id)
    if link is not None:
        session.delete(link)
    generation.image_keys, generation.preview_png, generation.deleted_at = [], None, utcnow()
    # The mark first, the objects after: a re-lettering that writes meanwhile either sees the mark when it
    # checks (and removes what it wrote) or wrote before this commit, so the deletion below removes it.
    session.commit()
    delete_images(store=store, keys=keys)


def stored_keys(generation: Generation) -> list[str]:
    """Every object a design may own: its pictures and their plain copies, recorded or being written."""
    keys = list(generation.image_keys or [])
    extra = list((generation.params or {}).get("plain_keys") or []) + [plain_image_key(key) for key in keys]
    return keys + [key for key in dict.fromkeys(extra) if key not in keys]


def delete_images(*, store: ImageStore, generation: Generation | None = None, keys: list[str] | None = None) -> None:
    for key in keys if keys is not None else stored_keys(generation):
        store.delete(key)


def image_key_for(generation: Generation, index, *, plain: bool = False) -> str:
    keys = (generation.params or {}).get("plain_keys") or [] if plain else generation.image_keys or []
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(keys):
        raise NotFound("Изображение не найдено")
    return keys[index]


def viewable(*, session: Session, generation_id: str) -> Generation:
    """A design a signed link may show: exists, not deleted, and its owner (if any) not blocked."""
    generation = session.get(Generation, generation_id) if _valid_id(generation_id) else None
    if generation is None or generation.deleted_at is not None:
        raise NotFound("Изображение не найдено")
    if generation.user_id is not None:
        owner = session.get(User, generation.user_id)
        if owner is None or not owner.is_active:
            raise NotFound("Изображение не найдено")
    return generation


def share(*, session: Session, user: User, generation_id: str) -> ShareLink:
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status != "succeeded":
        raise Conflict("Поделиться можно только готовым дизайном")
    link = share_link_of(session=session, generation_id=generation.id)
    if link is None:
        link = ShareLink(generation_id=generation.id, token=secrets.token_urlsafe(16))
        session.add(link)
        session.commit()
    return link


def unshare(*, session: Session, user: User, generation_id: str) -> None:
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    link = share_link_of(session=session, generation_id=generation.id)
    if link is None:
        raise NotFound("Ссылка не найдена")
    session.delete(link)
    session.commit()


def share_link_of(*, session: Session, generation_id: str) -> ShareLink | None:
    return session.scalar(select(ShareLink).where(ShareLink.generation_id == generation_id))


def get_shared(*, session: Session, token: str) -> Generation:
    link = session.scalar(select(ShareLink).where(ShareLink.token == token)) if _valid_id(token) else None
    try:
        generation = viewable(session=session, generation_id=link.generation_id) if link is not None else None
    except NotFound:  # deleted, or its owner blocked or deleted: the same 404 as a signed link to it
        generation = None
    if generation is None or generation.status != "succeeded":
        raise NotFound("Ссылка недействительна или отозвана")
    return generation


def translate(*, settings: Settings, queue: JobQueue, request: TranslateRequest | None = None,
              prompt: str | None = None, session: Session | None = None, user: User | None = None) -> dict:
    """Free preview of the English prompt with the confectionery terms applied, so the user can edit it.
    The same `generation.translation` path as the job; pipeline errors become `InvalidInput` here, once.
    `prompt`: a loose value from a form, validated like the REST body. With `session` and `user`, her own terms
    («Мои термины») go first, as in her jobs."""
    if request is None:
        request = parse_request({"prompt": prompt}, TranslateRequest)
    ensure_models_present(settings)
    personal = (terms_service.personal_glossary(session=session, user_id=user.id)
                if session is not None and user is not None else None)
    item = TranslationInput(prompt_ru=request.prompt, negative_prompt=request.negative_prompt or "",
                            personal=personal)
    try:
        result = queue.translate(item, timeout=settings.translate_timeout_seconds)
    except PipelineError as exc:
        raise InvalidInput(exc.message_ru) from None
    return result.as_public(request.prompt)
