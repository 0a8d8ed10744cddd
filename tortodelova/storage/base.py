"""Where generated images live. Two implementations: S3 (MinIO in production) and a local directory (embedded)."""
from __future__ import annotations

import re
from typing import Iterator, Protocol

from tortodelova.errors import InvalidInput, NotFound, ServiceUnavailable

# users/{user_id}/{generation_id}/{n}.png, guests/{guest}/{generation_id}/{n}.png: nothing else is a valid key.
_KEY_RE = re.compile(r"^[a-z]+(/[A-Za-z0-9_-]{1,64}){1,3}/[A-Za-z0-9_-]{1,64}\.(png|jpg|webp)$")


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key) or ".." in key:
        raise InvalidInput("Некорректный ключ объекта")
    return key


def image_key(*, owner: str, generation_id: str, index: int) -> str:
    return validate_key(f"{owner}/{generation_id}/{index}.png")


def plain_image_key(key: str) -> str:
    """The key of a picture's copy without the lettering, next to it."""
    return key.removesuffix(".png") + "-plain.png"


class ObjectMissing(NotFound):
    message = "Изображение не найдено"


class StorageUnavailable(ServiceUnavailable):
    message = "Хранилище изображений недоступно, попробуйте позже"


class ImageStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None: ...
    def get(self, key: str) -> bytes: ...
    def stream(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def presign(self, key: str, seconds: int) -> str | None:
        """A short-lived URL a browser can GET, or None when the store can only be read through the backend."""
    def health(self) -> str: ...
