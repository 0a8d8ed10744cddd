"""Periodic account chores; `jobs` schedules them, nothing here knows about queues."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tortodelova.accounts.models import RevokedToken
from tortodelova.db import utcnow


def purge_expired_revoked_tokens(*, session: Session) -> int:
    """Signed-out tokens past their expiry are refused by the signature check anyway: forget them."""
    purged = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow())).rowcount
    session.commit()
    return purged or 0
