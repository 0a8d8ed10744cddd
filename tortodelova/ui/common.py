"""What every UI handler shares: a DB session per call, the verified user, domain errors as Russian toasts.

Handlers are module-level functions `fn(ctx, *inputs, **bound)`; `bind()` turns one into a Gradio event function
`(token_value, *inputs, request)` that opens the session, verifies the token on the server (the JWT comes from
`gr.BrowserState` as the first input of every event) and answers a refusal with a toast while every output keeps its
value (`gr.skip()`): raising `gr.Error` would mark all outputs as failed and cover the form until a reload.
No per-user state lives in this process.
"""
from __future__ import annotations

import html
import inspect
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

import gradio as gr
from sqlalchemy.orm import Session

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.admin import service as admin_service
from tortodelova.container import Services
from tortodelova.errors import DomainError, NotAuthenticated

logger = logging.getLogger(__name__)

# gr.BrowserState ignores falsy values, so "signed out" has to be a real string.
SIGNED_OUT = "signed-out"
NO_GUEST: dict = {"guest": None}
# Moscow has kept UTC+3 all year since 2014; a fixed offset needs no tzdata in the image.
DISPLAY_TZ = timezone(timedelta(hours=3), "МСК")
TITLES = {401: "Нужен вход", 402: "Недостаточно кредитов", 403: "Нет доступа", 404: "Не найдено",
          409: "Не получилось", 413: "Слишком большой файл", 422: "Проверьте данные", 429: "Лимит",
          503: "Сервис недоступен"}
UNEXPECTED = "Что-то пошло не так. Попробуйте ещё раз — данные формы сохранены."


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


@dataclass
class Ctx:
    """One event call: the services, its own DB session, the verified user (None only for public handlers)."""

    services: Services
    session: Session
    user: User | None
    token: str | None
    request: gr.Request | None

    @property
    def settings(self):
        return self.services.settings

    @property
    def base(self) -> str:
        return origin(self.services, self.request)


AUTH_KINDS = ("user", "admin", "optional", "public")


def bind(fn: Callable, services: Services, *, auth: str = "user", refused: Callable | None = None,
         **bound) -> Callable:
    """The Gradio event function for the module-level handler `fn(ctx, *inputs, **bound)`.

    auth: "user" and "admin" verify the token (first input) before `fn` runs; "optional" passes `ctx.user=None` for
    visitors; "public" takes no token. A DomainError becomes a toast with a Russian title; `refused(exc, **bound)` may
    return updates for that case (e.g. open the sign-in panel), otherwise nothing changes on the page.
    """
    if auth not in AUTH_KINDS:
        raise ValueError(f"auth has to be one of {AUTH_KINDS} but is {auth!r}")
    hints = _hints(fn)
    params = [p for p in list(inspect.signature(fn).parameters.values())[1:] if p.name not in bound]
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    new_params = [inspect.Parameter("token_value", kind)] if auth != "public" else []
    new_params += [p.replace(kind=kind) for p in params]
    new_params.append(inspect.Parameter("request", kind, default=None, annotation=gr.Request))
    signature = inspect.Signature(new_params)

    def event(*args, **kwargs):
        call = signature.bind(*args, **kwargs)
        call.apply_defaults()
        values = dict(call.arguments)
        request = values.pop("request", None)
        token = values.pop("token_value", None)
        try:
            with db(services) as session:
                user = None
                if auth in ("user", "admin"):
                    user = require_user(session, services, token)
                    if auth == "admin":
                        admin_service.require_admin(user)
                elif auth == "optional":
                    user = user_or_none(session, services, token)
                ctx = Ctx(services=services, session=session, user=user, token=token_of(token), request=request)
                return fn(ctx, **values, **bound)
        except DomainError as exc:
            warn(exc.message, title=TITLES.get(exc.status, "Не получилось"))
            return refused(exc, **bound) if refused is not None else gr.skip()
        except Exception:  # the person gets a usable form back; the cause goes to the log with its traceback
            logger.exception("UI handler %s failed", fn.__name__)
            warn(UNEXPECTED, title="Ошибка")
            return gr.skip()

    event.__name__ = event.__qualname__ = fn.__name__
    event.__doc__ = fn.__doc__
    event.__signature__ = signature
    event.__annotations__ = {p.name: hints[p.name] for p in params if p.name in hints} | {"request": gr.Request}
    return event


def _hints(fn) -> dict:
    """Evaluated annotations of `fn` where they resolve (Gradio looks for gr.SelectData / gr.Request by type)."""
    hints = {}
    for name, annotation in inspect.get_annotations(fn).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, fn.__globals__)  # noqa: S307 - our own annotations
            except Exception:  # a name only imported for type checking: Gradio does not need it
                continue
        hints[name] = annotation
    return hints


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
    """For HTML: every user-provided value goes through this before it reaches gr.HTML or a toast."""
    return html.escape("" if value is None else str(value))


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~>"})


def md(value) -> str:
    """For Markdown: HTML-escaped and with Markdown syntax backslash-escaped, so text stays text."""
    return esc(value).translate(_MD_SPECIAL)


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


def notify(message: str, title: str = "Готово") -> None:
    """A short Russian toast (Gradio's default title is the English "Info"); the text is escaped."""
    gr.Info(esc(message), title=title, duration=5)


def warn(message: str, title: str = "Внимание") -> None:
    gr.Warning(esc(message), title=title, duration=8)
