from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tortodelova.accounts import service
from tortodelova.accounts.deps import AUTH_COOKIE, CurrentUser, base_url, mail_post, oauth2
from tortodelova.accounts.schemas import Credentials, PasswordChange, Token, UserPublic
from tortodelova.billing import onboarding
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.errors import InvalidInput

router = APIRouter(tags=["Accounts"])


@router.post("/auth/register", status_code=201, response_model=UserPublic)
def register(request: Request, body: Credentials, services: ServicesDep, session: SessionDep):
    """The account; a letter with a confirmation link goes to the address (v3)."""
    return onboarding.register(session=session, settings=services.settings, email=body.email, password=body.password,
                               base_url=base_url(request, services), post=mail_post(services),
                               client=request.client.host if request.client else None)


async def _credentials(request: Request) -> tuple[str, str]:
    """OAuth2 password form (username=email) or JSON {"email","password"}."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise InvalidInput("Ошибка в запросе: тело запроса — некорректный JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput("Ожидается объект с полями email и password")
        email, password = body.get("email"), body.get("password")
    else:
        form = await request.form()
        email, password = form.get("username") or form.get("email"), form.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip() or not password:
        raise InvalidInput("Укажите электронную почту и пароль")
    return email, password


@router.post("/auth/login", response_model=Token,
             openapi_extra={"requestBody": {"content": {
                 "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                     "username": {"type": "string"}, "password": {"type": "string"}}}},
                 "application/json": {"schema": {"type": "object", "properties": {
                     "email": {"type": "string"}, "password": {"type": "string"}}}}}}})
async def login(request: Request, services: ServicesDep, session: SessionDep):
    email, password = await _credentials(request)
    # The password check is slow on purpose: it runs in a worker thread, never in the event loop.
    issued = await run_in_threadpool(
        service.login, session=session, settings=services.settings, email=email, password=password,
        client=request.client.host if request.client else None)
    response = JSONResponse({"access_token": issued.access_token, "token_type": "bearer",
                             "expires_in": issued.expires_in})
    _set_auth_cookie(response, issued, services.settings)
    return response


def _set_auth_cookie(response: Response, issued: service.IssuedToken, settings) -> None:
    response.set_cookie(AUTH_COOKIE, issued.access_token, max_age=issued.expires_in, httponly=True,
                        samesite="lax", secure=settings.is_production, path="/")


@router.post("/auth/logout", status_code=204)
def logout(request: Request, services: ServicesDep, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]):
    service.logout(session=session, settings=services.settings, token=token or request.cookies.get(AUTH_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(AUTH_COOKIE, path="/")
    return response


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser):
    return user


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, user: CurrentUser, services: ServicesDep, session: SessionDep):
    """Every session of the user ends, this one too; this one continues with the fresh token sent back in the
    cookie and in the `X-Access-Token` header."""
    issued = service.change_password(session=session, settings=services.settings, user=user,
                                     old_password=body.old_password, new_password=body.new_password)
    response = Response(status_code=204, headers={"X-Access-Token": issued.access_token})
    _set_auth_cookie(response, issued, services.settings)
    return response
