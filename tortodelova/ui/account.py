"""The header: who is signed in and their balance, the sign-in / registration panel and sign-out."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.accounts import profile
from tortodelova.terms.service import EN_MAX, MAX_TERMS, RU_MAX
from tortodelova.ui import render

TERMS_TEXT_MAX = MAX_TERMS * (RU_MAX + EN_MAX + 8)


@dataclass
class Header:
    user: gr.HTML
    open_auth_btn: gr.Button
    logout_btn: gr.Button
    auth_panel: gr.Column
    auth_tabs: gr.Tabs
    login_email: gr.Textbox
    login_password: gr.Textbox
    login_btn: gr.Button
    register_email: gr.Textbox
    register_password: gr.Textbox
    register_btn: gr.Button
    close_auth_btn: gr.Button
    auth_note: gr.Markdown
    profile_btn: gr.Button  # «Профиль»: the name and contact printed on customer cards
    profile_panel: gr.Column
    profile_name: gr.Textbox
    profile_contact: gr.Textbox
    profile_save_btn: gr.Button
    profile_close_btn: gr.Button
    # Issue 21 (wired in ui/lifecycle.py): «Забыли пароль?» and the account section of «Профиль».
    forgot_btn: gr.Button
    reset_email: gr.Textbox
    reset_btn: gr.Button
    reset_note: gr.Markdown
    email_status: gr.Markdown
    resend_btn: gr.Button
    logout_all_btn: gr.Button
    delete_password: gr.Textbox
    delete_btn: gr.Button
    terms_text: gr.Textbox | None = None  # «Мои термины»: one term a line, «по-русски = по-английски»
    terms_note: gr.Markdown | None = None
    terms_save_btn: gr.Button | None = None


def layout() -> Header:
    with gr.Row(elem_classes=["td-header"], equal_height=True):
        gr.HTML('<div class="td-logo"><b>Тортоделова</b><span class="td-muted"> · дизайн торта по описанию'
                '</span></div>', elem_id="td-logo", scale=3)
        user = gr.HTML(render.header_html(None), elem_id="header-user", scale=2)
        with gr.Row(elem_classes=["td-header-buttons"], scale=0):
            open_auth_btn = gr.Button("Войти / Регистрация", size="sm", variant="primary", elem_id="header-login")
            profile_btn = gr.Button("Профиль", size="sm", visible=False, elem_id="header-profile")
            logout_btn = gr.Button("Выйти", size="sm", visible=False, elem_id="header-logout")
    with gr.Column(visible=False, elem_classes=["td-card"], elem_id="profile-panel") as profile_panel:
        gr.Markdown("**Профиль кондитера** — имя и контакт печатаются на карточке для заказчика")
        profile_name = gr.Textbox(label="Имя или название кондитерской", max_length=profile.DISPLAY_NAME_MAX,
                                  elem_id="header-profile-name")
        profile_contact = gr.Textbox(label="Контакт (телефон, мессенджер, сайт)", max_length=profile.CONTACT_MAX,
                                     elem_id="header-profile-contact")
        with gr.Row():
            profile_save_btn = gr.Button("Сохранить профиль", size="sm", variant="primary",
                                         elem_id="header-profile-save")
            profile_close_btn = gr.Button("Закрыть", size="sm", variant="secondary", elem_id="header-profile-close")
        gr.HTML("<p><b>Мои термины</b> — названия вашей кондитерской и как их понимать: в ваших описаниях они "
                "переводятся так, как вы написали, раньше общего глоссария. Видны только вам. Пример строки: "
                '<code lang="en">вишнёвая поляна = chocolate cake with cherries and whipped cream</code></p>',
                elem_id="header-terms-intro")
        terms_text = gr.Textbox(label="Один термин в строке: по-русски = по-английски", lines=5, max_lines=14,
                                max_length=TERMS_TEXT_MAX, elem_id="header-terms")
        terms_note = gr.Markdown("", elem_id="header-terms-note")
        terms_save_btn = gr.Button("Сохранить мои термины", size="sm", variant="primary",
                                   elem_id="header-terms-save")
        gr.Markdown("**Аккаунт**")
        email_status = gr.Markdown("", elem_id="profile-email-status")
        resend_btn = gr.Button("Отправить письмо для подтверждения ещё раз", size="sm", visible=False,
                               elem_id="profile-resend")
        gr.HTML('<div class="td-downloads"><a class="td-dl" id="profile-export" href="/api/me/export" download>'
                '⬇ Скачать все мои дизайны (ZIP)</a></div>')
        logout_all_btn = gr.Button("Выйти на всех устройствах", size="sm", elem_id="profile-logout-all")
        with gr.Accordion("Удалить аккаунт", open=False, elem_id="profile-delete-section"):
            gr.Markdown("Удалятся все дизайны, загруженные фото и ссылки для заказчиков; запущенные генерации "
                        "будут отменены с возвратом кредитов. Это нельзя отменить — сначала скачайте дизайны.")
            delete_password = gr.Textbox(label="Пароль для подтверждения", type="password",
                                         elem_id="profile-delete-password")
            delete_btn = gr.Button("Удалить аккаунт навсегда", variant="stop", size="sm", elem_id="profile-delete")
    # A fixed dialog: whichever button opens it, it appears in view (also on a phone scrolled far down).
    with gr.Column(visible=False, elem_classes=["td-card", "td-auth"], elem_id="auth-panel") as auth_panel:
        auth_note = gr.Markdown("", elem_id="auth-note")
        with gr.Tabs(selected="login") as auth_tabs:
            with gr.Tab("Вход", id="login"):
                login_email = gr.Textbox(label="Электронная почта", type="email", elem_id="login-email")
                login_password = gr.Textbox(label="Пароль", type="password", elem_id="login-password")
                login_btn = gr.Button("Войти", variant="primary", elem_id="login-submit")
                forgot_btn = gr.Button("Забыли пароль?", size="sm", variant="secondary", elem_id="login-forgot")
            with gr.Tab("Регистрация", id="register"):
                register_email = gr.Textbox(label="Электронная почта", type="email", elem_id="register-email")
                register_password = gr.Textbox(label="Пароль (от 8 символов)", type="password",
                                               elem_id="register-password")
                register_btn = gr.Button("Зарегистрироваться", variant="primary", elem_id="register-submit")
            with gr.Tab("Сброс пароля", id="reset"):
                gr.Markdown("Пришлём на почту ссылку, по которой можно задать новый пароль.")
                reset_email = gr.Textbox(label="Электронная почта", type="email", elem_id="reset-email")
                reset_btn = gr.Button("Прислать ссылку", variant="primary", elem_id="reset-send")
                reset_note = gr.Markdown("", elem_id="reset-note")
        close_auth_btn = gr.Button("Закрыть", size="sm", variant="secondary", elem_id="auth-close")
    return Header(user=user, open_auth_btn=open_auth_btn, logout_btn=logout_btn, auth_panel=auth_panel,
                  auth_tabs=auth_tabs, login_email=login_email, login_password=login_password, login_btn=login_btn,
                  register_email=register_email, register_password=register_password, register_btn=register_btn,
                  close_auth_btn=close_auth_btn, auth_note=auth_note, profile_btn=profile_btn,
                  profile_panel=profile_panel, profile_name=profile_name, profile_contact=profile_contact,
                  profile_save_btn=profile_save_btn, profile_close_btn=profile_close_btn, terms_text=terms_text,
                  terms_note=terms_note, terms_save_btn=terms_save_btn,
                  forgot_btn=forgot_btn,
                  reset_email=reset_email, reset_btn=reset_btn, reset_note=reset_note, email_status=email_status,
                  resend_btn=resend_btn, logout_all_btn=logout_all_btn, delete_password=delete_password,
                  delete_btn=delete_btn)


def signed_in_view(header: Header, user) -> dict:
    return {header.user: render.header_html(user), header.open_auth_btn: gr.Button(visible=False),
            header.logout_btn: gr.Button(visible=True), header.auth_panel: gr.Column(visible=False),
            header.profile_btn: gr.Button(visible=True),
            header.login_password: "", header.register_password: "", header.auth_note: ""}


def open_view(header: Header, note: str = "", tab: str = "login") -> dict:
    """The sign-in dialog opened (in view, it is fixed), with a note saying why."""
    return {header.auth_panel: gr.Column(visible=True), header.auth_tabs: gr.Tabs(selected=tab),
            header.auth_note: note}


def signed_out_view(header: Header) -> dict:
    return {header.user: render.header_html(None), header.open_auth_btn: gr.Button(visible=True),
            header.logout_btn: gr.Button(visible=False), header.profile_btn: gr.Button(visible=False),
            header.profile_panel: gr.Column(visible=False)}


def outputs(header: Header) -> list:
    return [header.user, header.open_auth_btn, header.logout_btn, header.auth_panel, header.login_password,
            header.register_password, header.auth_note, header.profile_btn, header.profile_panel]


def open_auth():
    return gr.Column(visible=True), gr.Tabs(selected="login"), ""


def open_register():
    return gr.Column(visible=True), gr.Tabs(selected="register"), ""


def close_profile():
    return gr.Column(visible=False)


def close_auth():
    return gr.Column(visible=False), gr.Tabs(), ""


def wire(header: Header, register_buttons: list) -> None:
    """Open and close the dialog in the browser's own round trip (no data, no token)."""
    panel = [header.auth_panel, header.auth_tabs, header.auth_note]
    for button, fn in ((header.open_auth_btn, open_auth), (header.close_auth_btn, close_auth),
                       *((b, open_register) for b in register_buttons)):
        button.click(fn, None, panel, api_visibility="private", queue=False, show_progress="hidden")
    header.profile_close_btn.click(close_profile, None, [header.profile_panel], api_visibility="private",
                                   queue=False, show_progress="hidden")
