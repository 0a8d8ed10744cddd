"""The short-lived signed links an `<img>` loads without an Authorization header.

A signed link proves only that this app issued it a moment ago; the route serving it still checks that the design
exists, is not deleted and that its owner is not blocked, so blocking a user stops their links at once.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from tortodelova.accounts.security import same_secret
from tortodelova.config import Settings
from tortodelova.errors import NotFound

SIGNED_PATH = "/api/images/{generation_id}/{index}.png"


def _signature(secret: str, generation_id: str, index: int, expires: int, variant: str) -> str:
    msg = f"{generation_id}:{index}:{expires}:{variant}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def signed_image_path(*, settings: Settings, generation_id: str, index: int, variant: str = "",
                      seconds: int | None = None) -> str:
    """Valid for `presign_seconds` (5 minutes by default): the UI re-renders its links on every poll."""
    expires = int(time.time()) + (seconds or settings.presign_seconds)
    sig = _signature(settings.resolved_jwt_secret(), generation_id, index, expires, variant)
    suffix = f"&variant={variant}" if variant else ""
    return SIGNED_PATH.format(generation_id=generation_id, index=index) + f"?expires={expires}&sig={sig}{suffix}"


def verify_image_signature(*, settings: Settings, generation_id: str, index: int, expires, sig,
                           variant: str = "") -> None:
    try:
        expires = int(expires)
    except (TypeError, ValueError, OverflowError):
        raise NotFound("Изображение не найдено") from None
    expected = _signature(settings.resolved_jwt_secret(), generation_id, index, expires, variant or "")
    if (expires < time.time() or expires > time.time() + 2 * settings.presign_seconds + 60
            or not same_secret(expected, sig)):
        raise NotFound("Ссылка на изображение устарела или неверна")
