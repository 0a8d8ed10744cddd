"""Registration: a new account and its welcome bonus in one transaction.

It lives in billing because the bonus is a ledger entry; accounts knows nothing of credits (imports point one way:
billing -> accounts).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from tortodelova.accounts import service as accounts
from tortodelova.accounts import throttle
from tortodelova.accounts.models import User
from tortodelova.billing.service import apply
from tortodelova.config import Settings


def register(*, session: Session, settings: Settings, email: str, password: str, role: str = "user",
             client: str | None = None) -> User:
    """`client`: the address a visitor registers from (REST and UI); past REGISTER_CLIENT_LIMIT it is refused with
    429 before the password is hashed. Only well-formed requests are counted."""
    if client:
        accounts.validate_email(email)
        accounts.validate_password(password)
        throttle.take_registration(settings, client=client)
    with accounts.new_user(session=session, email=email, password=password, role=role) as user:
        if settings.welcome_credits > 0:
            apply(session=session, user_id=user.id, amount=settings.welcome_credits, kind="bonus",
                  description="Приветственный бонус", actor="system")
    return user
