"""«Слова, которых нет в глоссарии»: lemmas of submitted prompts that no glossary matched and that the translation
transliterated or could not know (`pipeline.glossary_misses.misses`), counted so the glossary can grow from real use.
One row per lemma; never the prompt, never who wrote it."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.db import utcnow
from tortodelova.terms.models import GlossaryMiss

LEMMA_MAX = 64


def record(*, session: Session, lemmas: list[str]) -> None:
    """Count each lemma once more (each distinct one once per prompt). Safe under concurrent workers: an UPDATE
    first, an INSERT when the row is new, and the UPDATE again if another worker inserted it meanwhile."""
    now = utcnow()
    for lemma in dict.fromkeys(lemma[:LEMMA_MAX] for lemma in lemmas if lemma):
        counted = session.execute(update(GlossaryMiss).where(GlossaryMiss.lemma == lemma)
                                  .values(count=GlossaryMiss.count + 1, last_seen=now)).rowcount
        if counted:
            continue
        try:
            with session.begin_nested():
                session.add(GlossaryMiss(lemma=lemma, count=1, first_seen=now, last_seen=now))
        except IntegrityError:
            session.execute(update(GlossaryMiss).where(GlossaryMiss.lemma == lemma)
                            .values(count=GlossaryMiss.count + 1, last_seen=now))
    session.commit()


def top(*, session: Session, limit: int = 50, offset: int = 0) -> dict:
    """The most frequent first: {"items": [{"lemma", "count", "first_seen", "last_seen"}], "total"}."""
    total = session.scalar(select(func.count()).select_from(GlossaryMiss)) or 0
    rows = session.scalars(select(GlossaryMiss).order_by(GlossaryMiss.count.desc(), GlossaryMiss.lemma)
                           .limit(limit).offset(offset))
    return {"items": [{"lemma": row.lemma, "count": row.count, "first_seen": row.first_seen,
                       "last_seen": row.last_seen} for row in rows], "total": total}
