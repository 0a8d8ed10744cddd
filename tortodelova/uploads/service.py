"""Reference photos: decode safely (type, size, dimensions, bombs), turn upright, re-encode, store, delete.

The stored file is always a fresh JPEG made from the decoded pixels: nothing of the original file (EXIF with GPS,
embedded profiles, trailing bytes, a polyglot payload) reaches the store or a browser.
"""
from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.config import Settings
from tortodelova.db import new_uuid
from tortodelova.errors import (
    ACCOUNT_GONE,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from tortodelova.storage import ImageStore, validate_key
from tortodelova.uploads.models import Upload

FORMATS = ("PNG", "JPEG", "WEBP")
MIN_SIDE = 64
JPEG_QUALITY = 92
# The pipeline draws at most 768 px a side: what is stored is at most this, which keeps the worker's read small too.
STORED_MAX_SIDE = 2048
DECODE_WAIT_SECONDS = 20.0
TOO_MANY_UPLOADS = "Слишком много загрузок фото. Попробуйте снова через {minutes} мин."
QUOTA_FULL = "У вас уже {count} фото-образцов — это предел. Удалите ненужные, чтобы загрузить новое."

_decoding = threading.BoundedSemaphore(2)
_decoding_size = 2
_decoding_lock = threading.Lock()


def _decode_slots(concurrency: int) -> threading.BoundedSemaphore:
    """At most UPLOAD_DECODE_CONCURRENCY photos are decoded at once in this process (each may take ~64 MiB)."""
    global _decoding, _decoding_size
    with _decoding_lock:
        if concurrency != _decoding_size:
            _decoding, _decoding_size = threading.BoundedSemaphore(max(1, concurrency)), concurrency
        return _decoding


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_side: int
    max_pixels: int

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(max_bytes=settings.max_upload_bytes, max_side=settings.max_upload_side,
                   max_pixels=settings.max_upload_pixels)


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Файл слишком большой: можно до {max_bytes // (1024 * 1024)} МБ")


def decode(data: bytes, limits: Limits) -> Image.Image:
    """The upright RGB picture in ``data``, or a Russian refusal. The dimensions are checked from the header,
    before a single pixel is decoded, so a decompression bomb costs nothing."""
    if len(data) > limits.max_bytes:
        raise too_large(limits.max_bytes)
    if not data:
        raise InvalidInput("Файл пустой")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except UnidentifiedImageError:
            raise UnsupportedMediaType("Это не изображение: загрузите фото в формате PNG, JPEG или WebP") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PayloadTooLarge(f"Изображение слишком большое: больше {limits.max_pixels // 1_000_000} Мп, "
                                  f"можно до {limits.max_side} пикселей по стороне") from None
        width, height = image.size
        if max(width, height) > limits.max_side or width * height > limits.max_pixels:
            raise PayloadTooLarge(
                f"Изображение слишком большое: {width}×{height} пикселей, можно до {limits.max_side} пикселей по "
                f"стороне и {limits.max_pixels // 1_000_000} Мп")
        if min(width, height) < MIN_SIDE:
            raise InvalidInput(f"Изображение слишком маленькое: {width}×{height}, нужно хотя бы {MIN_SIDE} пикселей")
        try:
            # JPEG decodes straight at 1/2, 1/4 or 1/8 scale when that is still enough: less memory and time.
            image.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))
            image.load()
            image = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise InvalidInput("Файл изображения повреждён или не дочитан: попробуйте другой") from None
    if max(image.size) > STORED_MAX_SIDE:
        image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.LANCZOS)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def upload_key(*, user_id: int, upload_id: str) -> str:
    return validate_key(f"users/{user_id}/uploads/{upload_id}.jpg")


def ensure_room(*, session: Session, settings: Settings, user: User) -> None:
    """Refuse a new photo past the user's quota of kept photos (409) or upload rate (429), before any decoding."""
    count = session.scalar(select(func.count()).select_from(Upload).where(Upload.user_id == user.id)) or 0
    if count >= settings.upload_user_quota:
        raise Conflict(QUOTA_FULL.format(count=count))
    from tortodelova.accounts import throttle

    throttle.take(settings, limit=settings.upload_user_limit, message=TOO_MANY_UPLOADS,
                  keys=(f"tortodelova:{settings.queue_name}:uploads", str(user.id)))


def create(*, session: Session, store: ImageStore, settings: Settings, user: User, data: bytes) -> Upload:
    ensure_room(session=session, settings=settings, user=user)
    session.commit()  # no connection held while waiting for a decoding slot
    slots = _decode_slots(settings.upload_decode_concurrency)
    if not slots.acquire(timeout=DECODE_WAIT_SECONDS):
        raise Overloaded("Сейчас обрабатывается много фото: попробуйте через несколько секунд")
    try:
        image = decode(data, Limits.of(settings))
        encoded = encode(image)
        width, height = image.width, image.height
        del image
    finally:
        slots.release()
    upload_id = new_uuid()
    upload = Upload(id=upload_id, user_id=user.id, key=upload_key(user_id=user.id, upload_id=upload_id),
                    width=width, height=height, size_bytes=len(encoded))
    store.put(upload.key, encoded, content_type="image/jpeg")
    session.add(upload)
    try:
        session.commit()
    except IntegrityError:
        # The user was deleted meanwhile (an admin): the row cannot reference them. Nothing is kept.
        session.rollback()
        store.delete(upload.key)
        raise NotAuthenticated(ACCOUNT_GONE) from None
    except Exception:
        session.rollback()
        store.delete(upload.key)  # no row, no object
        raise
    return upload


def get_owned(*, session: Session, user: User, upload_id) -> Upload:
    """The user's own upload; anyone else's (or a malformed id) is simply not found."""
    upload = session.get(Upload, upload_id) if isinstance(upload_id, str) and len(upload_id) <= 36 else None
    if upload is None or upload.user_id != user.id:
        raise NotFound("Фото-образец не найдено")
    return upload


def exists(*, session: Session, user: User, upload_id) -> bool:
    try:
        get_owned(session=session, user=user, upload_id=upload_id)
    except NotFound:
        return False
    return True


def delete(*, session: Session, store: ImageStore, user: User, upload_id) -> None:
    upload = get_owned(session=session, user=user, upload_id=upload_id)
    store.delete(upload.key)
    session.delete(upload)
    session.commit()


def load_image(*, store: ImageStore, upload: Upload) -> Image.Image:
    """The stored photo as RGB (the worker's img2img source)."""
    with Image.open(io.BytesIO(store.get(upload.key))) as image:
        return image.convert("RGB")


def init_image_of_upload(ctx, generation) -> Image.Image:
    """The worker's img2img source for `generation.init_upload_id`: the owner's photo, cropped to the design's
    aspect ratio (centre) and scaled to its size. A photo deleted meanwhile fails the job (refunded)."""
    from tortodelova.db import session_scope
    from tortodelova.pipeline.errors import PipelineError

    with session_scope(ctx.session_factory) as session:
        upload = session.get(Upload, generation.init_upload_id)
        if upload is None or upload.user_id != generation.user_id:
            raise PipelineError("Фото-образец не найдено — возможно, оно удалено.")
        key = upload.key
    with Image.open(io.BytesIO(ctx.store.get(key))) as photo:
        return ImageOps.fit(photo.convert("RGB"), (generation.width, generation.height), Image.LANCZOS)
