from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, utcnow


class PersonalTerms(Base):
    """A chef's own terms, one row per chef: the list as she saved it and its version (the matcher cache key)."""

    __tablename__ = "personal_terms"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    items: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [{"ru", "en"}] in her order
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class GlossaryMiss(Base):
    """A word of submitted prompts that no glossary matched and the translation transliterated or could not know:
    its lemma and how often it came. Nothing else: not the prompt, not who wrote it."""

    __tablename__ = "glossary_misses"

    lemma: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
