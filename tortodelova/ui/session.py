"""Signing in and out, and what every screen shows for the session: page load, login, registration, logout.

Module-level handlers: `ui` (the `Screens` of the page) is bound in `wire()`; the session and user come from `bind`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

from tortodelova.accounts import service as accounts
from tortodelova.billing import onboarding
from tortodelova.container import Services
from tortodelova.errors import DomainError, NotAuthenticated
from tortodelova.mail import post
from tortodelova.ui import account, balance, create, demo, designs
from tortodelova.ui.common import SIGNED_OUT, Ctx, bind, notify, warn


@dataclass
class Screens:
    token: gr.BrowserState
    guest: gr.BrowserState
    tabs: gr.Tabs
    demo_tab: gr.Tab
    admin_tab: gr.Tab
    header: account.Header
    create: create.CreateTab
    designs: designs.DesignsTab
    balance: balance.BalanceTab
    demo: demo.DemoTab

    def outputs(self) -> list:
        # The demo tab stays for a signed-in user (it then says where to create): Gradio 6 hides a tab's content
        # on `visible=False` but leaves its button in the tab bar.
        return [self.token, self.guest, self.tabs, self.admin_tab, *account.outputs(self.header),
                *designs.outputs(self.designs), *balance.outputs(self.balance), *demo.outputs(self.demo),
                *create.session_outputs(self.create)]


def session_view(ctx: Ctx, ui: Screens, user, guest_value, *, select_tab: bool) -> dict:
    out: dict = {}
    if user is None:
        out.update(account.signed_out_view(ui.header))
        out.update(designs.signed_out_view(ui.designs))
        out.update(balance.signed_out_view(ui.balance))
        out.update(create.signed_out_view(ui.create))
        out[ui.admin_tab] = gr.Tab(visible=False)
    else:
        ctx.user = user
        claimed_guest, message = demo.claim_into(ctx.session, user, guest_value, ctx.settings)
        if claimed_guest is not None:
            guest_value = out[ui.guest] = claimed_guest
        if message:
            notify(message)
        out.update(account.signed_in_view(ui.header, user))
        out.update(designs.view(ui.designs, ctx, 0))
        out.update(balance.view(ui.balance, ctx))
        out.update(create.resume_view(ui.create, ctx))
        out[ui.admin_tab] = gr.Tab(visible=user.role == "admin")
        if select_tab:
            out[ui.tabs] = gr.Tabs(selected="designs" if message else "create")
        elif not message:
            out[ui.tabs] = gr.Tabs(selected="create")
    out.update(demo.view(ui.demo, ctx, guest_value, signed_in=user is not None))
    return out


def restore(ctx: Ctx, guest_value, *, ui: Screens):
    """Page load: show the session stored in this browser if its token still verifies (jobs resume too)."""
    if ctx.token is None:
        return session_view(ctx, ui, None, guest_value, select_tab=False)
    try:
        user = accounts.user_from_token(session=ctx.session, settings=ctx.settings, token=ctx.token)
    except NotAuthenticated as exc:
        # «Аккаунт заблокирован» says so; an expired or revoked token asks to sign in again.
        warn(exc.message if "заблокирован" in exc.message else "Сессия закончилась — войдите снова",
             title="Нужен вход")
        return {**session_view(ctx, ui, None, guest_value, select_tab=False), ui.token: SIGNED_OUT}
    return session_view(ctx, ui, user, guest_value, select_tab=False)


def _signed_in(ctx: Ctx, ui: Screens, access_token: str, guest_value) -> dict:
    user = accounts.user_from_token(session=ctx.session, settings=ctx.settings, token=access_token)
    return {ui.token: access_token, **session_view(ctx, ui, user, guest_value, select_tab=True)}


def login(ctx: Ctx, email, password, guest_value, *, ui: Screens):
    # The same throttle as the REST login: per account and per client address.
    client = ctx.request.client.host if ctx.request is not None and ctx.request.client else None
    issued = accounts.login(session=ctx.session, settings=ctx.settings, email=email, password=password,
                            client=client)
    return _signed_in(ctx, ui, issued.access_token, guest_value)


def register(ctx: Ctx, email, password, guest_value, *, ui: Screens):
    client = ctx.request.client.host if ctx.request is not None and ctx.request.client else None
    user = onboarding.register(session=ctx.session, settings=ctx.settings, email=email, password=password,
                               base_url=ctx.base, post=partial(post, settings=ctx.settings, queue=ctx.services.queue),
                               client=client)
    if user.balance:
        notify(f"Добро пожаловать! На балансе {user.balance} кредитов в подарок")
    else:  # the bonus waits for the confirmed address
        notify(f"Добро пожаловать! Мы отправили письмо на {user.email}: подтвердите адрес, и на баланс придёт "
               "приветственный бонус", title="Подтвердите почту")
    issued = accounts.issue_token(settings=ctx.settings, user=user)
    return _signed_in(ctx, ui, issued.access_token, guest_value)


def logout(ctx: Ctx, guest_value, *, ui: Screens):
    # The browser forgets the token and the server refuses it from now on (revoked by its jti).
    try:
        accounts.logout(session=ctx.session, settings=ctx.settings, token=ctx.token)
    except DomainError:  # an already revoked or expired token: signed out all the same
        pass
    return {ui.token: SIGNED_OUT, **session_view(ctx, ui, None, guest_value, select_tab=False),
            ui.tabs: gr.Tabs(selected="demo")}


def _keep_form(_exc, *, ui: Screens):
    """A wrong password: the toast says why; the typed e-mail stays, the password is cleared for the retry."""
    return {ui.header.login_password: "", ui.header.auth_note: ""}


# The edge lets only signed-in browsers upload files to Gradio (/gradio_api/upload), and it knows them by the
# `tortodelova_token` cookie: Gradio's upload request carries no BrowserState. So after every event that may change
# the session, the browser copies the token it keeps into that cookie, or drops the cookie when signed out. A script
# cannot set HttpOnly, but the same token already lives in this page's localStorage (gr.BrowserState).
SYNC_COOKIE = f"""(token) => {{
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    const signedIn = typeof token === "string" && /^[A-Za-z0-9._-]+$/.test(token) && token !== "{SIGNED_OUT}";
    document.cookie = signedIn
        ? "tortodelova_token=" + token + "; path=/; SameSite=Lax" + secure
        : "tortodelova_token=; path=/; Max-Age=0; SameSite=Lax" + secure;
    return [];
}}"""


def _sync_cookie(event, ui: Screens) -> None:
    event.then(None, [ui.token], None, js=SYNC_COOKIE, queue=False, show_progress="hidden")


sync_cookie = _sync_cookie  # ui/lifecycle.py (issue 21): sign-out everywhere and deletion change the session too


def wire(ui: Screens, services: Services, blocks: gr.Blocks) -> None:
    outputs = ui.outputs()
    header = ui.header
    restore_fn = bind(restore, services, auth="optional", ui=ui)
    login_fn = bind(login, services, auth="public", ui=ui, refused=_keep_form)
    register_fn = bind(register, services, auth="public", ui=ui)
    _sync_cookie(blocks.load(restore_fn, [ui.token, ui.guest], outputs, api_name="session_restore",
                             show_progress="hidden"), ui)
    login_inputs = [header.login_email, header.login_password, ui.guest]
    _sync_cookie(header.login_btn.click(login_fn, login_inputs, outputs, api_name="login",
                                        show_progress="minimal"), ui)
    _sync_cookie(header.login_password.submit(login_fn, login_inputs, outputs, api_name="login_submit",
                                              show_progress="minimal"), ui)
    _sync_cookie(header.register_btn.click(register_fn, [header.register_email, header.register_password, ui.guest],
                                           outputs, api_name="register", show_progress="minimal"), ui)
    _sync_cookie(header.logout_btn.click(bind(logout, services, auth="optional", ui=ui), [ui.token, ui.guest],
                                         outputs, api_name="logout", show_progress="hidden"), ui)
