"""The generation object of the contract (`GenerationPublic`), built from the row and the edge's `Links`.

`public_page` builds a whole page with the queue positions of all its rows from one query.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tortodelova.generation.links import Links
from tortodelova.generation.models import Generation
from tortodelova.generation.schemas import GenerationPublic, ImagePublic, InscriptionPublic, Term
from tortodelova.vocabulary import STATUS_TITLES


def queue_positions(*, session: Session, generations: list[Generation]) -> dict[str, int]:
    """{id: position} for the queued ones among `generations` (1 = next to start), in one query."""
    queued = [g.id for g in generations if g.status == "queued"]
    if not queued:
        return {}
    ranked = select(
        Generation.id,
        func.row_number().over(order_by=(Generation.created_at, Generation.id)).label("position"),
    ).where(Generation.status == "queued").subquery()
    rows = session.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_(queued))).all()
    return {generation_id: int(position) for generation_id, position in rows}


def plain_keys(generation: Generation) -> list[str]:
    """Keys of the pictures without lettering; present only when lettering was drawn (see the worker's hook)."""
    return list((generation.params or {}).get("plain_keys") or [])


def inscription_of(generation: Generation) -> InscriptionPublic | None:
    if not generation.inscription:
        return None
    return InscriptionPublic(text=generation.inscription, **(generation.inscription_options or {}))


def build(generation: Generation, *, links: Links, queue_position: int | None) -> GenerationPublic:
    params = generation.params or {}
    seeds = list(generation.seeds or [])
    has_plain = bool(plain_keys(generation))
    images = [
        ImagePublic(
            index=index, seed=seeds[index] if index < len(seeds) else None,
            url=links.image(generation, index), download_url=links.download(generation, index),
            plain_url=links.plain(generation, index) if has_plain else None,
            signed_url=links.signed(generation, index),
        )
        for index in range(len(generation.image_keys or []))
    ]
    return GenerationPublic(
        id=generation.id, status=generation.status, status_title=STATUS_TITLES[generation.status],
        progress=round(float(generation.progress or 0.0), 4), queue_position=queue_position,
        prompt_ru=generation.prompt_ru, prompt_en=generation.prompt_en,
        negative_prompt=generation.negative_prompt or "", negative_prompt_en=generation.negative_prompt_en,
        style=generation.style, size=generation.size, width=generation.width, height=generation.height,
        variants=generation.variants, quality=generation.quality, seed=seeds[0] if seeds else None, seeds=seeds,
        cost=generation.cost, inscription=inscription_of(generation),
        terms=[Term(**term) for term in params.get("terms", [])], prompt_truncated=bool(params.get("truncated")),
        init_generation_id=generation.init_generation_id, init_index=generation.init_index,
        init_upload_id=generation.init_upload_id, strength=generation.strength, images=images,
        error=generation.error, created_at=generation.created_at, started_at=generation.started_at,
        finished_at=generation.finished_at,
    )


def public_page(*, session: Session, generations: list[Generation], links: Links) -> list[GenerationPublic]:
    positions = queue_positions(session=session, generations=generations)
    return [build(g, links=links, queue_position=positions.get(g.id)) for g in generations]


def to_public(*, session: Session, generation: Generation, links: Links) -> GenerationPublic:
    return public_page(session=session, generations=[generation], links=links)[0]
