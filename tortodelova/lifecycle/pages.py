"""The pages the letters link to: `/reset` (set a new password) and `/confirm-email`, plain server-rendered HTML.

Reload-safe: GET only shows (a link is checked, never used, by opening it; mail scanners that prefetch links use
nothing up), POST acts and redirects (303) to a result page that can be reloaded. Every message is in Russian.
"""
from __future__ import annotations

from html import escape

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tortodelova.accounts import recovery
from tortodelova.accounts.deps import base_url, mail_post
from tortodelova.billing import onboarding
from tortodelova.container import ServicesDep, SessionDep, client_ip
from tortodelova.errors import DomainError, InvalidInput, RateLimited

router = APIRouter(include_in_schema=False)

STYLE = """body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#fdf7f5;margin:0;
color:#2b2220}main{max-width:440px;margin:40px auto;padding:24px;background:#fff;border-radius:16px;
box-shadow:0 8px 30px rgba(60,30,30,.12)}h1{font-size:1.35rem;margin:0 0 12px}label{display:block;margin:12px 0 4px;
font-weight:600}input{width:100%;box-sizing:border-box;padding:10px 12px;font-size:1rem;border:1px solid #d6c5c0;
border-radius:10px}button,.button{display:inline-block;margin-top:16px;padding:10px 18px;font-size:1rem;border:0;
border-radius:10px;background:#e11d48;color:#fff;text-decoration:none;cursor:pointer}.error{background:#fde8ec;
border:1px solid #f5a3b5;border-radius:10px;padding:10px 12px;margin:10px 0}.ok{background:#e9f7ef;
border:1px solid #9fd8b5;border-radius:10px;padding:10px 12px;margin:10px 0}.muted{color:#7a6a66;font-size:.9rem}
@media (max-width:480px){main{margin:0;border-radius:0;min-height:100vh;box-shadow:none}}"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f'<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)} — Тортоделова</title><style>{STYLE}</style></head>'
            f'<body><main><h1>{escape(title)}</h1>{body}<p class="muted"><a href="/">Тортоделова</a></p></main>'
            f'</body></html>')
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _note(kind: str, text: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="{kind}" role="{role}" id="page-{kind}">{escape(text)}</div>'


def _request_form(error: str = "", status: int = 200) -> HTMLResponse:
    body = (_note("error", error) if error else "") + (
        '<p>Укажите адрес, с которым вы регистрировались: мы пришлём ссылку для нового пароля.</p>'
        '<form method="post" action="/reset/request"><label for="email">Электронная почта</label>'
        '<input id="email" name="email" type="email" required autocomplete="email">'
        '<button type="submit" id="reset-request-submit">Прислать ссылку</button></form>')
    return page("Сброс пароля", body, status)


def _reset_form(token: str, error: str = "", status: int = 200) -> HTMLResponse:
    body = (_note("error", error) if error else "") + (
        '<form method="post" action="/reset">'
        f'<input type="hidden" name="token" value="{escape(token, quote=True)}">'
        '<label for="password">Новый пароль (от 8 символов)</label>'
        '<input id="password" name="password" type="password" minlength="8" maxlength="128" required '
        'autocomplete="new-password">'
        '<label for="password2">Повторите пароль</label>'
        '<input id="password2" name="password2" type="password" minlength="8" maxlength="128" required '
        'autocomplete="new-password">'
        '<button type="submit" id="reset-submit">Сохранить новый пароль</button></form>'
        '<p class="muted">После смены пароля все прежние входы на всех устройствах завершатся.</p>')
    return page("Новый пароль", body, status)


def _link_refused(message: str, status: int = 400) -> HTMLResponse:
    return page("Ссылка не работает", _note("error", message) +
                '<a class="button" href="/reset" id="reset-again">Запросить новую ссылку</a>', status)


@router.get("/reset", response_class=HTMLResponse)
def reset_page(session: SessionDep, token: str | None = None):
    if not token:
        return _request_form()
    try:
        recovery.check_reset(session=session, token=token)
    except DomainError as exc:
        return _link_refused(exc.message)
    return _reset_form(token)


@router.post("/reset", response_class=HTMLResponse)
def reset_submit(session: SessionDep, token: str = Form(""), password: str = Form(""), password2: str = Form("")):
    if password != password2:
        return _reset_form(token, "Пароли не совпадают: введите один и тот же пароль дважды", 400)
    try:
        recovery.reset_password(session=session, token=token, password=password)
    except recovery.InvalidLink as exc:
        return _link_refused(exc.message)
    except InvalidInput as exc:
        return _reset_form(token, exc.message, 422)
    return RedirectResponse("/reset/done", status_code=303)


@router.get("/reset/done", response_class=HTMLResponse)
def reset_done():
    return page("Пароль изменён", _note("ok", "Новый пароль сохранён. Все прежние входы завершены: войдите с новым "
                                              "паролем.") + '<a class="button" href="/" id="reset-login">Войти</a>')


@router.post("/reset/request", response_class=HTMLResponse)
def reset_request(request: Request, services: ServicesDep, session: SessionDep, email: str = Form("")):
    try:
        message = recovery.request_reset(session=session, settings=services.settings, email=email,
                                         base_url=base_url(request, services), post=mail_post(services),
                                         client=client_ip(request))
    except RateLimited as exc:
        return _request_form(exc.message, 429)
    return page("Письмо отправлено", _note("ok", message))


@router.get("/confirm-email", response_class=HTMLResponse)
def confirm_page(token: str | None = None):
    if not token:
        return page("Подтверждение адреса", _note("error", recovery.CONFIRM_UNKNOWN), 400)
    return page("Подтверждение адреса", (
        '<p>Нажмите кнопку, чтобы подтвердить адрес почты.</p><form method="post" action="/confirm-email">'
        f'<input type="hidden" name="token" value="{escape(token, quote=True)}">'
        '<button type="submit" id="confirm-submit">Подтвердить адрес</button></form>'))


@router.post("/confirm-email", response_class=HTMLResponse)
def confirm_submit(services: ServicesDep, session: SessionDep, token: str = Form("")):
    try:
        onboarding.confirm_email(session=session, settings=services.settings, token=token)
    except recovery.InvalidLink as exc:
        return page("Ссылка не работает", _note("error", exc.message), 400)
    return RedirectResponse("/confirm-email/done", status_code=303)


@router.get("/confirm-email/done", response_class=HTMLResponse)
def confirm_done():
    return page("Адрес подтверждён", _note("ok", "Спасибо! Адрес почты подтверждён.") +
                '<a class="button" href="/" id="confirm-home">Перейти в Тортоделову</a>')
