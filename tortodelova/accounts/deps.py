"""Who is asking: the auth cookie, the bearer token, `CurrentUser` and `AdminUser` for the REST routes, and the
role check every admin action makes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.accounts.roles import require_admin
from tortodelova.container import Services, ServicesDep, SessionDep

AUTH_COOKIE = "tortodelova_token"
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/login", auto_error=False)


def get_current_user(request: Request, services: ServicesDep, session: SessionDep,
                     token: Annotated[str | None, Depends(oauth2)]) -> User:
    # The bearer header for API clients; the HttpOnly cookie set at login for the browser (images in <img>).
    token = token or request.cookies.get(AUTH_COOKIE)
    return accounts.user_from_token(session=session, settings=services.settings, token=token)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    return require_admin(user)


AdminUser = Annotated[User, Depends(get_admin)]


def mail_post(services: Services):
    """`tortodelova.mail.post` bound to this app: a Huey job when a mail server is configured, else the outbox."""
    from functools import partial

    from tortodelova.mail import post

    return partial(post, settings=services.settings, queue=services.queue)


def base_url(request: Request, services: Services) -> str:
    """Where links in letters point: PUBLIC_URL, else the address this request came to."""
    return (services.settings.public_url or str(request.base_url)).rstrip("/")
