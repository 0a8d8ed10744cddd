from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, utcnow


class DemoGuest(Base):
    """One free demo design per visitor: unique per signed guest cookie and unique per client address per day
    (`ip` is the IPv4 address or the IPv6 /64 network: one person holds a whole /64)."""

    __tablename__ = "demo_guests"
    __table_args__ = (UniqueConstraint("ip", "day", name="uq_demo_guests_ip_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guest_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    # SET NULL, not CASCADE: the record of a used demo outlives its design (deleting it must not free a new demo).
    generation_id: Mapped[str | None] = mapped_column(ForeignKey("generations.id", ondelete="SET NULL"),
                                                      nullable=True)
    claim_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class DemoQuota(Base):
    """Daily cap on all demo generations, taken with one conditional UPDATE."""

    __tablename__ = "demo_quota"
    __table_args__ = (CheckConstraint("used >= 0", name="used_non_negative"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
