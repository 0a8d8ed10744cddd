"""The customer card: what a baker sends the customer about one design (PDF, or PNG for a messenger).

Its content comes from the design (pictures as shown, the Russian description, the inscription, size, date), the
baker's profile (name, contact) and the share link, made here if the design has none yet.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

from PIL import Image
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.billing.pricing import SIZES
from tortodelova.errors import Conflict, InvalidInput, ServiceUnavailable
from tortodelova.generation import service as generations
from tortodelova.storage import ImageStore

FORMATS = {"pdf": "application/pdf", "png": "image/png"}


@dataclass
class CardContent:
    generation_id: str
    description: str
    size: str
    date: str
    share_url: str
    baker_name: str | None = None
    baker_contact: str | None = None
    inscription: str | None = None
    agreed_on: str | None = None  # «Согласовано DD.MM.YYYY» once the customer's choice is agreed (selections)
    images: list[Image.Image] = field(default_factory=list)


def card_format(value) -> str:
    value = value or "pdf"
    if value not in FORMATS:
        raise InvalidInput(f"Формат карточки: pdf или png, а не «{value}»")
    return value


def content(*, session: Session, store: ImageStore, user: User, generation_id: str,
            share_url: Callable[[str], str]) -> CardContent:
    """``share_url``: the edge's public address of a share token (the service builds no URL)."""
    generation = generations.get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status != "succeeded" or not generation.image_keys:
        raise Conflict("Карточку можно сделать только для готового дизайна")
    link = generations.share(session=session, user=user, generation_id=generation.id)
    images = []
    for key in generation.image_keys:
        with Image.open(io.BytesIO(store.get(key))) as image:
            images.append(image.convert("RGB"))
    size = SIZES.get(generation.size)
    return CardContent(
        generation_id=generation.id, description=generation.prompt_ru,
        size=size.title if size else f"{generation.width}×{generation.height}",
        date=generation.created_at.strftime("%d.%m.%Y"), share_url=share_url(link.token),
        baker_name=user.display_name, baker_contact=user.contact, inscription=generation.inscription,
        images=images,
    )


def render(card: CardContent, fmt: str) -> bytes:
    from tortodelova.cards import render as renderers
    from tortodelova.pipeline.lettering import FontMissing

    try:
        return renderers.pdf(card) if fmt == "pdf" else renderers.png(card)
    except FontMissing as exc:
        raise ServiceUnavailable(exc.message_ru) from None


def filename(card: CardContent, fmt: str) -> str:
    return f"tortodelova-card-{card.generation_id[:8]}.{fmt}"
