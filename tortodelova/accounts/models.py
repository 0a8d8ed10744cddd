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
    # Account lifecycle (issue 21, migration 0007): the address confirmed by its letter; the welcome bonus credited
    # (once, ever: a conditional UPDATE of this column decides who credits it); the account deleted by its owner
    # (the row stays, anonymised, for the ledger).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    welcome_credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class RevokedToken(Base):
    """A signed-out token: refused until it would have expired anyway (then the row may be purged)."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


TOKEN_PURPOSES = ("reset", "confirm")


class AccountToken(Base):
    """A one-time link's token: only its SHA-256 is stored. A reset token is refused once used, expired or
    superseded by a newer one; a confirmation token confirms exactly the address it was sent to."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('reset', 'confirm')", name="purpose_valid"),
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="user")


class AuditEvent(Base):
    """What an admin did to an account that the ledger does not show (a reset link handed over)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    detail: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
