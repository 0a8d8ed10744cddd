from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tortodelova.db import Base, UTCDateTime, new_uuid, utcnow
from tortodelova.vocabulary import FINAL_STATUS_NAMES, STATUS_NAMES

STATUSES = STATUS_NAMES
FINAL_STATUSES = FINAL_STATUS_NAMES


class Generation(Base):
    """One request for 1..4 images. The row is the source of truth; the queue only carries its id.

    Deleting a design soft-deletes the row (`deleted_at`): its images leave storage, but the ledger keeps pointing
    at it, so a cancel and refund after the delete still find their charge."""

    __tablename__ = "generations"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status_valid"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        CheckConstraint("variants >= 1 AND variants <= 4", name="variants_range"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
        Index("ix_generations_user_created", "user_id", "created_at"),
        Index("ix_generations_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    prompt_ru: Mapped[str] = mapped_column(Text, nullable=False)
    prompt_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    prompt_en_given: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    negative_prompt: Mapped[str] = mapped_column(Text, nullable=False, default="")
    negative_prompt_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    inscription: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when the request carried `inscription` (an object, or null = draw nothing); else the prompt decides.
    inscription_explicit: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    inscription_options: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {"font", "color", "position"}
    style: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[str] = mapped_column(String(16), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    variants: Mapped[int] = mapped_column(Integer, nullable=False)
    quality: Mapped[str] = mapped_column(String(16), nullable=False)
    seeds: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    cost: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    image_keys: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    init_generation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    init_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    init_upload_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    strength: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    preview_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The request id of the submission (issue 24): the web and worker log lines of this design share it.
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ShareLink(Base):
    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    generation_id: Mapped[str] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
