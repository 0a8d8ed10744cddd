"""FastAPI dependencies: the services of this app, a DB session per request, the current user."""
from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.admin.service import require_admin
from tortodelova.services import Services

AUTH_COOKIE = "tortodelova_token"
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/login", auto_error=False)


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_session(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    session = services.session()
    try:
        yield session
    finally:
        session.close()


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(request: Request, services: ServicesDep, session: SessionDep,
                     token: Annotated[str | None, Depends(oauth2)]) -> User:
    # The bearer header for API clients; the HttpOnly cookie set at login for the browser (images in <img>).
    token = token or request.cookies.get(AUTH_COOKIE)
    return accounts.user_from_token(session=session, settings=services.settings, token=token)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    return require_admin(user)


AdminUser = Annotated[User, Depends(get_admin)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def mail_post(services: Services):
    """`tortodelova.mail.post` bound to this app: a Huey job when a mail server is configured, else the outbox."""
    from functools import partial

    from tortodelova.mail import post

    return partial(post, settings=services.settings, queue=services.queue)


def base_url(request: Request, services: Services) -> str:
    """Where links in letters point: PUBLIC_URL, else the address this request came to."""
    return (services.settings.public_url or str(request.base_url)).rstrip("/")
