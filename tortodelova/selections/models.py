from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, utcnow

TITLE_MAX, NOTE_MAX, COMMENT_MAX, NAME_MAX, PHONE_MAX = 120, 1000, 1000, 80, 40
ITEMS_MIN, ITEMS_MAX = 1, 12
TOKEN_MAX = 64


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: the link is the only key to the page


class Selection(Base):
    """One link the chef sends; the customer's answer lives on the row (one answer per link, changed until agreed).

    Revoking keeps the row (the chef still sees the answer) but the link answers 404. The owner's delete cascades."""

    __tablename__ = "selections"
    __table_args__ = (
        CheckConstraint("chosen_index IS NULL OR chosen_index >= 0", name="chosen_index_non_negative"),
        Index("ix_selections_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token: Mapped[str] = mapped_column(String(TOKEN_MAX), nullable=False, unique=True, default=new_token)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The customer's answer. Not a foreign key: the design may be deleted later, the answer stays readable.
    chosen_generation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    chosen_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    customer_phone: Mapped[str | None] = mapped_column(String(PHONE_MAX), nullable=True)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # False from each new answer until the chef has looked at it: the badge on «Мои дизайны».
    answer_seen: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class SelectionItem(Base):
    """A design in a selection; deleting the design (or the selection) removes the row in the database."""

    __tablename__ = "selection_items"
    __table_args__ = (Index("ix_selection_items_generation", "generation_id"),)

    selection_id: Mapped[int] = mapped_column(ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
