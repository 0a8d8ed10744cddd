"""What every UI handler shares: a DB session per call, the verified user, domain errors as `gr.Error`.

No per-user state lives here: the JWT comes in as an input of every event (from `gr.BrowserState`) and is verified
against the database on every call.
"""
from __future__ import annotations

import functools
import html
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

import gradio as gr
from sqlalchemy.orm import Session

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.errors import DomainError, NotAuthenticated
from tortodelova.services import Services

# gr.BrowserState ignores falsy values, so "signed out" has to be a real string.
SIGNED_OUT = "signed-out"
NO_GUEST: dict = {"guest": None}
# Moscow has kept UTC+3 all year since 2014; a fixed offset needs no tzdata in the image.
DISPLAY_TZ = timezone(timedelta(hours=3), "МСК")


@contextmanager
def db(services: Services) -> Iterator[Session]:
    session = services.session_factory()
    try:
        yield session
    finally:
        session.close()


def token_of(value) -> str | None:
    return value if isinstance(value, str) and value and value != SIGNED_OUT else None


def require_user(session: Session, services: Services, token) -> User:
    """The active user behind the token, verified on the server; anyone else gets a Russian NotAuthenticated."""
    token = token_of(token)
    if token is None:
        raise NotAuthenticated()
    return accounts.user_from_token(session=session, settings=services.settings, token=token)


def user_or_none(session: Session, services: Services, token) -> User | None:
    try:
        return require_user(session, services, token)
    except NotAuthenticated:
        return None


def handler(fn):
    """Domain errors become a Russian `gr.Error`; the signature is kept so Gradio still injects gr.Request."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise gr.Error(exc.message, title=_title(exc), print_exception=False) from None

    return wrapper


def _title(exc: DomainError) -> str:
    return {401: "Нужен вход", 402: "Недостаточно кредитов", 403: "Нет доступа", 404: "Не найдено",
            409: "Не получилось", 429: "Лимит"}.get(exc.status, "Ошибка")


def origin(services: Services, request: gr.Request | None) -> str:
    """Absolute base URL for links the browser loads (Gallery needs absolute URLs to not treat them as files)."""
    if services.settings.public_url:
        return services.settings.public_url.rstrip("/")
    if request is None:
        return ""
    headers = request.headers
    host = (headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip()
    proto = (headers.get("x-forwarded-proto") or "").split(",")[0].strip()
    if not proto:
        url = getattr(request, "url", None)
        proto = getattr(url, "scheme", None) or "http"
    return f"{proto}://{host}" if host else ""


def fmt_date(value: datetime | None) -> str:
    """Moscow time: the service speaks Russian and stores UTC; a naive value is taken as UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(DISPLAY_TZ).strftime("%d.%m.%Y %H:%M")


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def plural_credits(n: int) -> str:
    n_abs = abs(n)
    if n_abs % 10 == 1 and n_abs % 100 != 11:
        word = "кредит"
    elif 2 <= n_abs % 10 <= 4 and not 12 <= n_abs % 100 <= 14:
        word = "кредита"
    else:
        word = "кредитов"
    return f"{n} {word}"


def whole(value):
    """gr.Number sends floats; a whole float becomes an int, anything else goes to the service to be refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def notify(message: str) -> None:
    """A short Russian toast (Gradio's default title is the English "Info")."""
    gr.Info(message, title="Готово", duration=5)


def warn(message: str) -> None:
    gr.Warning(message, title="Внимание", duration=8)
