"""The customer card of an agreed selection: the chosen picture, its inscription, the chef, «Согласовано …»."""
from __future__ import annotations

import io
from datetime import timedelta, timezone

from PIL import Image
from sqlalchemy.orm import Session

from tortodelova.billing.pricing import SIZES
from tortodelova.cards.render import CardContent
from tortodelova.errors import NotFound
from tortodelova.selections import service
from tortodelova.storage import ImageStore

# The service speaks to Russian customers; Moscow has kept UTC+3 all year since 2014 (as the UI's DISPLAY_TZ).
MSK = timezone(timedelta(hours=3), "МСК")


def agreed_card(*, session: Session, store: ImageStore, token, page_url: str) -> CardContent:
    selection = service.get_public(session=session, token=token)
    option = service.chosen_option(session=session, selection=selection)
    if selection.agreed_at is None or option is None:
        raise NotFound("Карточка появится, когда кондитер согласует выбранный дизайн")
    generation = option.generation
    with Image.open(io.BytesIO(store.get(generation.image_keys[option.index]))) as image:
        picture = image.convert("RGB")
    owner = service.owner_of(session=session, selection=selection)
    size = SIZES.get(generation.size)
    return CardContent(
        generation_id=generation.id, description=generation.prompt_ru,
        size=size.title if size else f"{generation.width}×{generation.height}",
        date=generation.created_at.astimezone(MSK).strftime("%d.%m.%Y"), share_url=page_url,
        baker_name=owner.display_name, baker_contact=owner.contact, inscription=generation.inscription,
        agreed_on=selection.agreed_at.astimezone(MSK).strftime("%d.%m.%Y"), images=[picture])


def filename(card: CardContent) -> str:
    return f"tortodelova-soglasovano-{card.generation_id[:8]}.pdf"
