"""Generations: submit (validate → price → charge + row in one transaction → enqueue), read, cancel, delete, share.

Called by the REST views and the Gradio handlers alike; the worker side lives in `generation.worker`.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.billing import pricing
from tortodelova.billing import service as billing
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from tortodelova.generation.models import FINAL_STATUSES, Generation, ShareLink
from tortodelova.generation.queue import JobQueue
from tortodelova.pipeline import prompts
from tortodelova.storage import ImageStore
from tortodelova.validation import parse_int

logger = logging.getLogger(__name__)

PROMPT_MAX_CHARS = 500
NEGATIVE_MAX_CHARS = 500
PROMPT_EN_MAX_CHARS = 1000
SEED_MAX = 2**32 - 1
STRENGTH_RANGE = (0.2, 0.9)
STATUS_TITLES = {
    "queued": "В очереди", "running": "Рисуем", "succeeded": "Готово", "failed": "Ошибка", "cancelled": "Отменено",
}


@dataclass
class GenerationParams:
    prompt_ru: str
    prompt_en: str | None
    style: str
    size: str
    variants: int
    quality: str
    seeds: list[int]
    negative_prompt: str
    init_generation_id: str | None = None
    init_index: int | None = None
    strength: float | None = None


def _text(value, *, what: str, limit: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{what}: поле не может быть пустым")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: нужен текст")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{what}: слишком длинный текст ({len(value)} символов, максимум {limit})")
    return value


def validate_style(style) -> str:
    style = style or prompts.DEFAULT_STYLE
    if not isinstance(style, str) or style not in prompts.STYLES:
        raise InvalidInput(f"Неизвестный стиль «{style}»: выберите один из {', '.join(prompts.STYLES)}")
    return style


def validate_prompt(prompt) -> str:
    return _text(prompt, what="Описание торта", limit=PROMPT_MAX_CHARS, required=True)


def validate_params(request) -> GenerationParams:
    """Every check on a request, with the bad value quoted in Russian. Nothing is written before this passes."""
    prompt_ru = validate_prompt(request.prompt)
    style = validate_style(request.style)
    size = request.size or "square"
    quality = request.quality or "standard"
    variants = parse_int(1 if request.variants is None else request.variants, what="Количество вариантов",
                    low=1, high=pricing.MAX_VARIANTS)
    pricing.price(size=size, quality=quality, variants=variants)  # validates size and quality
    if request.seed is None or request.seed == "":
        seeds = [secrets.randbelow(SEED_MAX) for _ in range(variants)]
    else:
        seed = parse_int(request.seed, what="Seed", low=0, high=SEED_MAX)
        seeds = [(seed + i) % (SEED_MAX + 1) for i in range(variants)]
    params = GenerationParams(
        prompt_ru=prompt_ru,
        prompt_en=_text(request.prompt_en, what="Перевод", limit=PROMPT_EN_MAX_CHARS, required=False),
        style=style, size=size, variants=variants, quality=quality, seeds=seeds,
        negative_prompt=_text(request.negative_prompt, what="Негативный промпт", limit=NEGATIVE_MAX_CHARS,
                              required=False) or "",
    )
    if request.init_generation_id is not None:
        if not isinstance(request.init_generation_id, str):
            raise InvalidInput("init_generation_id: нужен идентификатор дизайна")
        params.init_generation_id = request.init_generation_id
        params.init_index = parse_int(0 if request.init_index is None else request.init_index, what="Номер изображения",
                                 low=0, high=pricing.MAX_VARIANTS - 1)
        strength = 0.6 if request.strength is None else request.strength
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not (
            STRENGTH_RANGE[0] <= strength <= STRENGTH_RANGE[1]
        ):
            raise InvalidInput(f"Сила изменений: число от {STRENGTH_RANGE[0]} до {STRENGTH_RANGE[1]}")
        params.strength = float(strength)
    return params


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


def submit(*, session: Session, settings: Settings, queue: JobQueue, user: User, request) -> Generation:
    params = validate_params(request)
    ensure_models_present(settings)
    if params.init_generation_id is not None:
        source = get_owned(session=session, user=user, generation_id=params.init_generation_id)
        if source.status != "succeeded" or params.init_index >= len(source.image_keys):
            raise InvalidInput("Для похожего дизайна выберите готовое изображение")
    cost = pricing.price(size=params.size, quality=params.quality, variants=params.variants)
    size = pricing.SIZES[params.size]
    generation = Generation(
        user_id=user.id, status="queued", prompt_ru=params.prompt_ru, prompt_en=params.prompt_en,
        prompt_en_given=params.prompt_en is not None, negative_prompt=params.negative_prompt, style=params.style,
        size=params.size, width=size.width, height=size.height, variants=params.variants, quality=params.quality,
        seeds=params.seeds, cost=cost, init_generation_id=params.init_generation_id, init_index=params.init_index,
        strength=params.strength, enqueued_at=utcnow(),
    )
    session.add(generation)
    session.flush()
    try:
        billing.charge(session=session, user_id=user.id, cost=cost, generation_id=generation.id,
                       description=f"Дизайн: {params.prompt_ru[:80]}")
    except Exception:
        session.rollback()
        raise
    session.commit()
    enqueue_or_refund(session=session, queue=queue, generation=generation)
    return generation


def enqueue_or_refund(*, session: Session, queue: JobQueue, generation: Generation) -> None:
    try:
        queue.enqueue_generation(generation.id)
    except Exception:
        logger.exception("enqueue failed for generation %s", generation.id)
        finish_failed(session=session, generation_id=generation.id,
                      error="Очередь заданий недоступна, кредиты возвращены. Попробуйте позже.")
        raise ServiceUnavailable("Очередь заданий недоступна, кредиты возвращены. Попробуйте позже.") from None


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


def get_owned(*, session: Session, user: User, generation_id: str) -> Generation:
    """The user's own generation; anyone else's (or a malformed id) is simply not found."""
    generation = session.get(Generation, generation_id) if isinstance(generation_id, str) else None
    if generation is None or generation.user_id != user.id:
        raise NotFound("Дизайн не найден")
    return generation


def list_for_user(*, session: Session, user: User, limit: int = 20, offset: int = 0,
                  status: str | None = None) -> tuple[list[Generation], int]:
    query = select(Generation).where(Generation.user_id == user.id)
    if status:
        query = query.where(Generation.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Generation.created_at.desc(), Generation.id).limit(limit).offset(offset)
    ).all()
    return list(items), total


def queue_position(*, session: Session, generation: Generation) -> int | None:
    """1 for the next job to start; None once it is no longer waiting."""
    if generation.status != "queued":
        return None
    ahead = session.scalar(
        select(func.count()).select_from(Generation).where(
            Generation.status == "queued", Generation.created_at < generation.created_at
        )
    ) or 0
    return ahead + 1


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
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status in ("queued", "running"):
        cancel(session=session, user=user, generation_id=generation_id)
    delete_images(store=store, generation=generation)
    session.delete(generation)
    session.commit()


def delete_images(*, store: ImageStore, generation: Generation) -> None:
    for key in generation.image_keys or []:
        store.delete(key)


def image_key_for(generation: Generation, index) -> str:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(generation.image_keys or []):
        raise NotFound("Изображение не найдено")
    return generation.image_keys[index]


# Signed image links: short-lived URLs a browser <img> can load without an Authorization header.
def _signature(secret: str, generation_id: str, index: int, expires: int) -> str:
    msg = f"{generation_id}:{index}:{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def signed_image_path(*, settings: Settings, generation_id: str, index: int, seconds: int | None = None) -> str:
    expires = int(time.time()) + (seconds or settings.presign_seconds * 12)
    sig = _signature(settings.resolved_jwt_secret(), generation_id, index, expires)
    return f"/api/images/{generation_id}/{index}.png?expires={expires}&sig={sig}"


def verify_image_signature(*, settings: Settings, generation_id: str, index: int, expires, sig) -> None:
    try:
        expires = int(expires)
    except (TypeError, ValueError):
        raise NotFound("Изображение не найдено") from None
    expected = _signature(settings.resolved_jwt_secret(), generation_id, index, expires)
    if expires < time.time() or not isinstance(sig, str) or not hmac.compare_digest(expected, sig):
        raise NotFound("Ссылка на изображение устарела или неверна")


def share(*, session: Session, user: User, generation_id: str) -> ShareLink:
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status != "succeeded":
        raise Conflict("Поделиться можно только готовым дизайном")
    link = session.scalar(select(ShareLink).where(ShareLink.generation_id == generation.id))
    if link is None:
        link = ShareLink(generation_id=generation.id, token=secrets.token_urlsafe(16))
        session.add(link)
        session.commit()
    return link


def unshare(*, session: Session, user: User, generation_id: str) -> None:
    generation = get_owned(session=session, user=user, generation_id=generation_id)
    link = session.scalar(select(ShareLink).where(ShareLink.generation_id == generation.id))
    if link is None:
        raise NotFound("Ссылка не найдена")
    session.delete(link)
    session.commit()


def share_link_of(*, session: Session, generation_id: str) -> ShareLink | None:
    return session.scalar(select(ShareLink).where(ShareLink.generation_id == generation_id))


def get_shared(*, session: Session, token: str) -> Generation:
    link = session.scalar(select(ShareLink).where(ShareLink.token == token)) if isinstance(token, str) else None
    if link is None:
        raise NotFound("Ссылка недействительна или отозвана")
    generation = session.get(Generation, link.generation_id)
    if generation is None or generation.status != "succeeded":
        raise NotFound("Ссылка недействительна или отозвана")
    return generation


def to_public(*, session: Session, settings: Settings, generation: Generation, base: str = "/api/generations") -> dict:
    """The generation object of the REST contract (also what the UI renders)."""
    images = []
    for index, _key in enumerate(generation.image_keys or []):
        seed = generation.seeds[index] if index < len(generation.seeds or []) else None
        images.append({
            "index": index, "seed": seed,
            "url": f"{base}/{generation.id}/images/{index}",
            "download_url": f"{base}/{generation.id}/images/{index}/download",
            "signed_url": signed_image_path(settings=settings, generation_id=generation.id, index=index),
        })
    return {
        "id": generation.id, "status": generation.status, "status_title": STATUS_TITLES[generation.status],
        "progress": round(float(generation.progress or 0.0), 4),
        "queue_position": queue_position(session=session, generation=generation),
        "prompt_ru": generation.prompt_ru, "prompt_en": generation.prompt_en, "style": generation.style,
        "size": generation.size, "width": generation.width, "height": generation.height,
        "variants": generation.variants, "quality": generation.quality,
        "seed": (generation.seeds or [None])[0], "seeds": generation.seeds, "cost": generation.cost,
        "negative_prompt": generation.negative_prompt, "inscription": generation.inscription,
        "terms": (generation.params or {}).get("terms", []),
        "prompt_truncated": (generation.params or {}).get("truncated", False),
        "init_generation_id": generation.init_generation_id, "init_index": generation.init_index,
        "strength": generation.strength, "images": images, "error": generation.error,
        "created_at": generation.created_at, "started_at": generation.started_at,
        "finished_at": generation.finished_at,
    }


def translate(*, settings: Settings, queue: JobQueue, prompt) -> dict:
    """Free preview of the English prompt with the confectionery terms applied, so the user can edit it."""
    prompt_ru = validate_prompt(prompt)
    ensure_models_present(settings)
    result = queue.translate(prompt_ru, timeout=settings.translate_timeout_seconds)
    return {"prompt_ru": prompt_ru, "prompt_en": result["prompt_en"], "terms": result["terms"]}
