"""Registration and address confirmation: a new account, its confirmation letter and its welcome bonus.

It lives in billing because the bonus is a ledger entry; accounts knows nothing of credits (imports point one way:
billing -> accounts). Where confirmed addresses are required (`Settings.email_confirmation_required`), the bonus
waits for the confirmation; either way it is credited once per account, ever: a conditional UPDATE of
`users.welcome_credited_at` decides which transaction writes it.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from tortodelova.accounts import recovery, throttle
from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.billing.service import apply
from tortodelova.config import Settings
from tortodelova.db import utcnow

WELCOME = "Приветственный бонус"


def credit_welcome(*, session: Session, settings: Settings, user: User) -> bool:
    """Credit the welcome bonus unless this account ever had it (the caller commits)."""
    if settings.welcome_credits <= 0:
        return False
    took = session.execute(
        update(User).where(User.id == user.id, User.welcome_credited_at.is_(None))
        .values(welcome_credited_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if took:
        apply(session=session, user_id=user.id, amount=settings.welcome_credits, kind="bonus",
              description=WELCOME, actor="system")
    return bool(took)


def register(*, session: Session, settings: Settings, email: str, password: str, role: str = "user",
             base_url: str | None = None, post: recovery.Post | None = None, client: str | None = None) -> User:
    """The account, and (with `post`) its confirmation letter. The bonus comes now, or on confirmation where
    confirmed addresses are required. `client`: the address a visitor registers from (REST and UI); past
    REGISTER_CLIENT_LIMIT it is refused with 429 before the password is hashed. Only well-formed requests count."""
    if client:
        accounts.validate_email(email)
        accounts.validate_password(password)
        throttle.take_registration(settings, client=client)
    with accounts.new_user(session=session, email=email, password=password, role=role) as user:
        if not settings.email_confirmation_required:
            credit_welcome(session=session, settings=settings, user=user)
    if post is not None and base_url is not None:
        recovery.send_confirmation(session=session, settings=settings, user=user, base_url=base_url, post=post)
        session.refresh(user)
    return user


def confirm_email(*, session: Session, settings: Settings, token) -> User:
    """Confirm the address from its letter's link and credit the waiting bonus, exactly once (parallel clicks
    included: the token and the bonus are both conditional updates in this one transaction)."""
    user, _confirmed_now = recovery.mark_confirmed(session=session, token=token)
    credit_welcome(session=session, settings=settings, user=user)
    session.commit()
    session.refresh(user)
    return user
