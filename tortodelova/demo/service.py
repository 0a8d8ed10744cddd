"""Demo mode: one free design per visitor without an account, claimed into the history after sign-up.

The limit holds under parallel requests because the database decides: a unique guest id, a unique (IP, day) and
a conditional UPDATE on the daily quota, all in the transaction that creates the generation.
"""
from __future__ import annotations

import ipaddress
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.billing import pricing
from tortodelova.config import Settings
from tortodelova.db import utcnow
from tortodelova.demo.models import DemoGuest, DemoQuota
from tortodelova.errors import Conflict, InvalidInput, NotFound, RateLimited
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import Generation
from tortodelova.generation.queue import JobQueue
from tortodelova.observability.logs import current_request_id

DEMO_SIZE, DEMO_QUALITY, DEMO_VARIANTS = "square", "fast", 1
USED_MESSAGE = "Бесплатный демо-дизайн уже использован. Зарегистрируйтесь — новым пользователям дарим кредиты!"
CAP_MESSAGE = "Лимит демо-дизайнов на сегодня исчерпан. Зарегистрируйтесь, чтобы продолжить."


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_jwt_secret(), salt="tortodelova-guest")


def new_guest_cookie(settings: Settings) -> tuple[str, str]:
    guest_id = secrets.token_urlsafe(16)
    return guest_id, _serializer(settings).dumps(guest_id)


def guest_from_cookie(settings: Settings, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        value = _serializer(settings).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def guest_identity(settings: Settings, cookie: str | None) -> tuple[str, str]:
    """The guest id signed into this browser's cookie, or a new one; returns (guest_id, the cookie to keep)."""
    guest_id = guest_from_cookie(settings, cookie)
    if guest_id is None:
        return new_guest_cookie(settings)
    return guest_id, cookie


def client_key(ip) -> str:
    """The address a demo is counted against: the IPv4 address, or the IPv6 /64 network (one household or phone
    holds a whole /64, so counting single IPv6 addresses would let one person use up the daily cap)."""
    text = ip.strip() if isinstance(ip, str) else ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        if not text or len(text) > 64 or not text.isprintable():
            raise InvalidInput("Некорректный адрес клиента (X-Forwarded-For)") from None
        return text  # not an IP (a unix socket, a test client): counted as it is
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _seconds_until_tomorrow() -> int:
    now = utcnow()
    return max(60, 86400 - (now.hour * 3600 + now.minute * 60 + now.second))


def create(*, session: Session, settings: Settings, queue: JobQueue, guest_id: str, ip: str, prompt, style=None,
           ) -> tuple[Generation, str]:
    """Returns the generation and its claim token; RateLimited when this visitor (cookie or IP) already had one."""
    ip = client_key(ip)
    prompt_ru = generation_service.validate_prompt(prompt)
    style = generation_service.validate_style(style)
    generation_service.ensure_models_present(settings)
    today = utcnow().date()
    if session.scalar(select(DemoGuest.id).where((DemoGuest.guest_id == guest_id) |
                                                 ((DemoGuest.ip == ip) & (DemoGuest.day == today)))):
        raise RateLimited(USED_MESSAGE, retry_after=_seconds_until_tomorrow())
    try:
        try:
            with session.begin_nested():
                session.execute(insert(DemoQuota).values(day=today, used=0))
        except IntegrityError:
            pass
        took = session.execute(
            update(DemoQuota).where(DemoQuota.day == today, DemoQuota.used < settings.demo_daily_cap)
            .values(used=DemoQuota.used + 1).execution_options(synchronize_session=False)
        ).rowcount
        if not took:
            session.rollback()
            raise RateLimited(CAP_MESSAGE, retry_after=_seconds_until_tomorrow())
        size = pricing.SIZES[DEMO_SIZE]
        generation = Generation(
            user_id=None, is_demo=True, status="queued", prompt_ru=prompt_ru, style=style, size=DEMO_SIZE,
            width=size.width, height=size.height, variants=DEMO_VARIANTS, quality=DEMO_QUALITY,
            seeds=[secrets.randbelow(generation_service.SEED_MAX)], cost=0, enqueued_at=utcnow(),
            request_id=current_request_id(),
        )
        session.add(generation)
        session.flush()
        claim_token = secrets.token_urlsafe(24)
        session.add(DemoGuest(guest_id=guest_id, ip=ip, day=today, generation_id=generation.id,
                              claim_token=claim_token))
        session.flush()
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RateLimited(USED_MESSAGE, retry_after=_seconds_until_tomorrow()) from None
    generation_service.enqueue_or_refund(session=session, queue=queue, generation=generation)
    return generation, claim_token


def get_for_guest(*, session: Session, generation_id: str, guest_id: str | None, claim_token: str | None,
                  ) -> Generation:
    """A demo generation is visible to the visitor who made it (their cookie) or to the holder of its claim token."""
    guest = session.scalar(select(DemoGuest).where(DemoGuest.generation_id == generation_id)) \
        if isinstance(generation_id, str) and generation_id else None
    allowed = guest is not None and (
        (guest_id is not None and secrets.compare_digest(guest.guest_id, guest_id))
        or (isinstance(claim_token, str) and secrets.compare_digest(guest.claim_token, claim_token))
    )
    if not allowed:
        raise NotFound("Демо-дизайн не найден")
    return session.get(Generation, generation_id)


def guest_generation(*, session: Session, guest_id: str | None) -> tuple[Generation, str] | None:
    """The visitor's demo generation and claim token, if they have made one."""
    if not guest_id:
        return None
    guest = session.scalar(select(DemoGuest).where(DemoGuest.guest_id == guest_id))
    generation = session.get(Generation, guest.generation_id) if guest and guest.generation_id else None
    if generation is None:  # never made one, or the design was deleted (the demo stays used)
        return None
    return generation, guest.claim_token


def claim(*, session: Session, user: User, claim_token) -> Generation:
    """Move the demo design into the user's history, exactly once, only with the token the visitor received."""
    if not isinstance(claim_token, str) or not claim_token:
        raise NotFound("Демо-дизайн не найден")
    guest = session.scalar(select(DemoGuest).where(DemoGuest.claim_token == claim_token))
    if guest is None or guest.generation_id is None:
        raise NotFound("Демо-дизайн не найден")
    took = session.execute(
        update(DemoGuest).where(DemoGuest.id == guest.id, DemoGuest.claimed_by.is_(None))
        .values(claimed_by=user.id, claimed_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not took:
        session.rollback()
        raise Conflict("Этот демо-дизайн уже добавлен в историю")
    session.execute(update(Generation).where(Generation.id == guest.generation_id).values(user_id=user.id))
    session.commit()
    return session.get(Generation, guest.generation_id)
