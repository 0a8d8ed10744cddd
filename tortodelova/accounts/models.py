from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, utcnow

ROLES = ("user", "admin")


def new_session_key() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("role IN ('user', 'admin')", name="role_valid"),
        # Emails are stored normalised; the index on lower() keeps them unique even if a writer forgets.
        Index("uq_users_email_lower", func.lower("email"), unique=True),
        # Ids are never reused (SQLite would hand a deleted user's id to the next registrant, and with it the old
        # tokens' `sub`); PostgreSQL sequences never go back anyway.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="user")
    balance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Every token carries this key (claim `sk`); replacing it ends all the user's sessions at once (password change,
    # block, delete, a password set by the operator).
    session_key: Mapped[str] = mapped_column(String(32), nullable=False, default=new_session_key)
    # Shown on the customer card and the share page (PATCH /api/me/profile, accounts/profile.py); migration 0005.
    display_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class RevokedToken(Base):
    """A signed-out token: refused until it would have expired anyway (then the row may be purged)."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
