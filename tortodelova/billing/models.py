from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, utcnow

KINDS = ("deposit", "charge", "refund", "bonus", "admin_adjust")


class Transaction(Base):
    """Append-only ledger row. `balance_after` is the user's balance right after this row, same DB transaction."""

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint("kind IN ('deposit', 'charge', 'refund', 'bonus', 'admin_adjust')", name="kind_valid"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        # A generation is charged at most once and refunded at most once: the database enforces it.
        Index(
            "uq_transactions_refund_per_generation", "generation_id", unique=True,
            sqlite_where=text("kind = 'refund'"), postgresql_where=text("kind = 'refund'"),
        ),
        Index(
            "uq_transactions_charge_per_generation", "generation_id", unique=True,
            sqlite_where=text("kind = 'charge'"), postgresql_where=text("kind = 'charge'"),
        ),
        Index("ix_transactions_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    generation_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("generations.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(64), nullable=False, default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
