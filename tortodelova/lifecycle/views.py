"""REST routes of the account lifecycle (v3): password reset, address confirmation, sessions, export, deletion."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from tortodelova.accounts import recovery
from tortodelova.accounts import service as accounts
from tortodelova.accounts.deps import AUTH_COOKIE, CurrentUser, base_url, mail_post
from tortodelova.billing import onboarding
from tortodelova.container import ServicesDep, SessionDep, client_ip
from tortodelova.lifecycle import export, service
from tortodelova.lifecycle.schemas import (
    Accepted,
    AccountDeletion,
    EmailConfirm,
    ErrorPublic,
    ResetConfirm,
    ResetRequest,
)

router = APIRouter(tags=["Account lifecycle"])
RESENT = "Письмо со ссылкой подтверждения отправлено. Проверьте почту (и папку «Спам»)."


@router.post("/auth/password-reset", status_code=202, response_model=Accepted,
             responses={429: {"model": ErrorPublic, "description": "Слишком много запросов для адреса или клиента"}})
def request_password_reset(body: ResetRequest, request: Request, services: ServicesDep, session: SessionDep):
    """Always 202 with the same body, whether or not the address has an account; a letter with a one-time link
    (`token=` in its query, 30 minutes, single use) goes to a known address. 429 when asked too often."""
    message = recovery.request_reset(session=session, settings=services.settings, email=body.email,
                                     base_url=base_url(request, services), post=mail_post(services),
                                     client=client_ip(request))
    return JSONResponse({"detail": message}, status_code=202)


@router.post("/auth/password-reset/confirm", status_code=204, response_class=Response,
             responses={400: {"model": ErrorPublic,
                              "description": "Ссылка устарела, уже использована или заменена более новой"}})
def confirm_password_reset(body: ResetConfirm, session: SessionDep):
    """Set the new password; every earlier session of the account ends, and every reset link with them."""
    recovery.reset_password(session=session, token=body.token, password=body.password)
    return Response(status_code=204)


@router.post("/auth/confirm-email", status_code=204, response_class=Response,
             responses={400: {"model": ErrorPublic,
                              "description": "Ссылка подтверждения недействительна или устарела"}})
def confirm_email(body: EmailConfirm, services: ServicesDep, session: SessionDep):
    """Confirm the address the letter was sent to; the welcome bonus waiting for it is credited (once)."""
    onboarding.confirm_email(session=session, settings=services.settings, token=body.token)
    return Response(status_code=204)


@router.post("/me/confirm-email/resend", status_code=202, response_model=Accepted,
             responses={409: {"model": ErrorPublic, "description": "Адрес уже подтверждён"},
                        429: {"model": ErrorPublic, "description": "Слишком много писем подряд"}})
def resend_confirmation(request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    """A new confirmation letter (the older link stops working); 409 if already confirmed; throttled."""
    recovery.resend_confirmation(session=session, settings=services.settings, user=user,
                                 base_url=base_url(request, services), post=mail_post(services),
                                 client=client_ip(request))
    return JSONResponse({"detail": RESENT}, status_code=202)


@router.post("/me/logout-everywhere", status_code=204, response_class=Response)
def logout_everywhere(user: CurrentUser, session: SessionDep):
    """Every session of the account ends, this one included."""
    accounts.logout_everywhere(session=session, user=user)
    response = Response(status_code=204)
    response.delete_cookie(AUTH_COOKIE, path="/")
    return response


@router.get("/me/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}},
                             "description": "ZIP: every image (and its copy without lettering), designs.json"}})
def export_designs(user: CurrentUser, services: ServicesDep, session: SessionDep):
    """Every design as a ZIP, streamed from the image store (never held whole in memory)."""
    collected = export.collect(session=session, user=user)
    return StreamingResponse(export.stream(store=services.store, export=collected), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{collected.filename}"',
                                      "Cache-Control": "no-store"})


@router.delete("/me", status_code=204, response_class=Response,
               responses={403: {"model": ErrorPublic, "description": "Неверный пароль"}})
def delete_account(body: AccountDeletion, user: CurrentUser, services: ServicesDep, session: SessionDep):
    """Delete the account: running jobs cancelled and refunded, designs and uploads removed from storage, share
    links dead, sessions ended, personal fields erased; ledger rows stay, anonymised."""
    service.delete_account(session=session, store=services.store, user=user, password=body.password)
    response = Response(status_code=204)
    response.delete_cookie(AUTH_COOKIE, path="/")
    return response
