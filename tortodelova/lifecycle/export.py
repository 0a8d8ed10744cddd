"""«Скачать все мои дизайны»: a ZIP streamed from the image store, never held whole in memory.

The metadata of every design is read first (small rows, a few hundred at most); the images are then read one at a
time, in 64 KiB chunks, from S3 or the local disk while the archive is written out (zipstream-ng, ZIP_STORED: PNG
and JPEG are compressed already). Each object is opened only when the archive reaches it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session
from zipstream import ZipStream

from tortodelova.accounts.models import User
from tortodelova.generation.models import Generation
from tortodelova.storage import ImageStore
from tortodelova.storage.base import ObjectMissing
from tortodelova.terms import service as terms_service
from tortodelova.uploads.models import Upload

logger = logging.getLogger(__name__)
README = """Ваши дизайны из Тортоделовой.

designs/<дата>_<номер>/N.png — изображения дизайна; N-plain.png — то же изображение без надписи.
uploads/ — загруженные вами фото-образцы.
designs.json — для каждого дизайна: описание (prompt_ru), перевод (prompt_en), сиды, размер, качество, стиль, дата.
my-terms.json — «Мои термины» (если они есть).
"""


@dataclass(frozen=True)
class Export:
    files: list[tuple[str, str]]  # (name in the archive, object key)
    designs: list[dict]
    terms: list[dict] = field(default_factory=list)  # «Мои термины»

    @property
    def filename(self) -> str:
        return "tortodelova-designs.zip"


def collect(*, session: Session, user: User) -> Export:
    """What goes into the archive: plain values, read now, so the stream needs no database session."""
    files: list[tuple[str, str]] = []
    designs: list[dict] = []
    rows = session.scalars(select(Generation).where(Generation.user_id == user.id, Generation.deleted_at.is_(None))
                           .order_by(Generation.created_at, Generation.id))
    for generation in rows:
        folder = f"designs/{generation.created_at:%Y-%m-%d_%H%M%S}_{generation.id[:8]}"
        plain_keys = (generation.params or {}).get("plain_keys") or []
        names = []
        for index, key in enumerate(generation.image_keys or []):
            files.append((f"{folder}/{index + 1}.png", key))
            names.append(f"{folder}/{index + 1}.png")
            if index < len(plain_keys) and plain_keys[index] and plain_keys[index] != key:
                files.append((f"{folder}/{index + 1}-plain.png", plain_keys[index]))
                names.append(f"{folder}/{index + 1}-plain.png")
        designs.append({
            "id": generation.id, "created_at": generation.created_at.isoformat(), "status": generation.status,
            "prompt_ru": generation.prompt_ru, "prompt_en": generation.prompt_en,
            "negative_prompt": generation.negative_prompt, "inscription": generation.inscription,
            "style": generation.style, "size": generation.size, "width": generation.width,
            "height": generation.height, "quality": generation.quality, "seeds": list(generation.seeds or []),
            "seed": (generation.seeds or [None])[0], "files": names,
        })
    for upload in session.scalars(select(Upload).where(Upload.user_id == user.id).order_by(Upload.created_at)):
        files.append((f"uploads/{upload.created_at:%Y-%m-%d_%H%M%S}_{upload.id[:8]}.jpg", upload.key))
    session.commit()  # nothing pending: the connection goes back to the pool before the long stream
    terms = terms_service.terms_for_export(session, user.id)
    session.commit()
    return Export(files=files, designs=designs, terms=terms)


def _object(store: ImageStore, key: str) -> Iterator[bytes]:
    """The object's bytes, opened only when the archive reaches it; a vanished object becomes an empty file."""
    try:
        chunks = store.stream(key)
    except ObjectMissing:
        logger.warning("export: object %s is missing", key)
        return
    yield from chunks


def stream(*, store: ImageStore, export: Export) -> Iterator[bytes]:
    archive = ZipStream(sized=False)
    archive.add(README.encode(), "README.txt")
    for name, key in export.files:
        archive.add(_object(store, key), name)
    archive.add(json.dumps({"designs": export.designs}, ensure_ascii=False, indent=2).encode(), "designs.json")
    if export.terms:
        archive.add(json.dumps({"terms": export.terms}, ensure_ascii=False, indent=2).encode(), "my-terms.json")
    yield from archive
