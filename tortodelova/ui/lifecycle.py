"""Account lifecycle in the UI (issue 21): «Забыли пароль?» in the sign-in dialog; in «Профиль» the address
status with «отправить письмо ещё раз», «Скачать все мои дизайны» (a plain link to GET /api/me/export, the
session cookie authorises it), «Выйти на всех устройствах» and «Удалить аккаунт» with the password re-entered."""
from __future__ import annotations

from functools import partial

import gradio as gr

from tortodelova.accounts import recovery
from tortodelova.accounts import service as accounts
from tortodelova.container import Services
from tortodelova.errors import NotAuthenticated
from tortodelova.lifecycle import service as lifecycle
from tortodelova.mail import post
from tortodelova.ui import session
from tortodelova.ui.common import SIGNED_OUT, Ctx, bind, notify

CONFIRMED = "Адрес почты **подтверждён**."
UNCONFIRMED = ("Адрес почты **не подтверждён**: откройте ссылку из письма после регистрации.")
UNCONFIRMED_REQUIRED = UNCONFIRMED + " До подтверждения не начисляется приветственный бонус и нельзя забрать " \
                                     "демо-дизайн в аккаунт."


def _post(ctx: Ctx):
    return partial(post, settings=ctx.settings, queue=ctx.services.queue)


def _client(ctx: Ctx) -> str | None:
    return ctx.request.client.host if ctx.request is not None and ctx.request.client else None


def open_reset(email):
    """«Забыли пароль?»: the reset tab, with the address already typed for signing in."""
    return gr.Tabs(selected="reset"), email if isinstance(email, str) else ""


def request_reset(ctx: Ctx, email):
    message = recovery.request_reset(session=ctx.session, settings=ctx.settings, email=email, base_url=ctx.base,
                                     post=_post(ctx), client=_client(ctx))
    return message


def account_status(ctx: Ctx):
    if ctx.user.email_verified:
        return CONFIRMED, gr.Button(visible=False)
    text = UNCONFIRMED_REQUIRED if ctx.settings.email_confirmation_required else UNCONFIRMED
    return text, gr.Button(visible=True)


def resend(ctx: Ctx):
    recovery.resend_confirmation(session=ctx.session, settings=ctx.settings, user=ctx.user, base_url=ctx.base,
                                 post=_post(ctx), client=_client(ctx))
    notify(f"Письмо отправлено на {ctx.user.email}")
    return gr.skip()


def _signed_out(ctx: Ctx, ui: session.Screens, guest_value) -> dict:
    ctx.user = None
    return {ui.token: SIGNED_OUT, **session.session_view(ctx, ui, None, guest_value, select_tab=False),
            ui.tabs: gr.Tabs(selected="demo"), ui.header.delete_password: ""}


def logout_everywhere(ctx: Ctx, guest_value, *, ui: session.Screens):
    accounts.logout_everywhere(session=ctx.session, user=ctx.user)
    notify("Вы вышли на всех устройствах: войдите снова")
    return _signed_out(ctx, ui, guest_value)


def delete_account(ctx: Ctx, password, guest_value, *, ui: session.Screens):
    lifecycle.delete_account(session=ctx.session, store=ctx.services.store, user=ctx.user, password=password)
    notify("Аккаунт удалён. Спасибо, что были с нами!", title="Аккаунт удалён")
    return _signed_out(ctx, ui, guest_value)


def _keep_password_field_empty(exc, *, ui: session.Screens):
    """A wrong password: the toast says so and the field is emptied for the retry (a visitor: nothing changes)."""
    if isinstance(exc, NotAuthenticated):
        return gr.skip()
    return {ui.header.delete_password: ""}


def wire(ui: session.Screens, services: Services) -> None:
    header = ui.header
    quiet = {"show_progress": "hidden"}
    header.forgot_btn.click(open_reset, [header.login_email], [header.auth_tabs, header.reset_email],
                            api_visibility="private", queue=False, **quiet)
    reset_fn = bind(request_reset, services, auth="public")
    header.reset_btn.click(reset_fn, [header.reset_email], [header.reset_note], api_name="password_reset_request",
                           concurrency_limit=4, show_progress="minimal")
    header.reset_email.submit(reset_fn, [header.reset_email], [header.reset_note],
                              api_name="password_reset_request_submit", concurrency_limit=4, show_progress="minimal")
    header.profile_btn.click(bind(account_status, services), [ui.token], [header.email_status, header.resend_btn],
                             api_name="account_status", **quiet)
    header.resend_btn.click(bind(resend, services), [ui.token], [header.resend_btn],
                            api_name="account_resend_confirmation", **quiet)
    outputs = [*ui.outputs(), header.delete_password]
    session.sync_cookie(header.logout_all_btn.click(bind(logout_everywhere, services, ui=ui), [ui.token, ui.guest],
                                                    outputs, api_name="account_logout_everywhere", **quiet), ui)
    session.sync_cookie(header.delete_btn.click(
        bind(delete_account, services, ui=ui, refused=_keep_password_field_empty),
        [ui.token, header.delete_password, ui.guest], outputs, api_name="account_delete",
        show_progress="minimal"), ui)
