"""The header: who is signed in and their balance, the sign-in / registration panel and sign-out."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.ui import render


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


def layout() -> Header:
    with gr.Row(elem_classes=["td-header"], equal_height=True):
        gr.HTML('<div class="td-logo"><b>Тортоделова</b><span class="td-muted"> · дизайн торта по описанию'
                '</span></div>', elem_id="td-logo", scale=3)
        user = gr.HTML(render.header_html(None), elem_id="header-user", scale=2)
        with gr.Row(elem_classes=["td-header-buttons"], scale=0):
            open_auth_btn = gr.Button("Войти / Регистрация", size="sm", variant="primary", elem_id="header-login")
            logout_btn = gr.Button("Выйти", size="sm", visible=False, elem_id="header-logout")
    with gr.Column(visible=False, elem_classes=["td-card", "td-auth"], elem_id="auth-panel") as auth_panel:
        with gr.Tabs(selected="login") as auth_tabs:
            with gr.Tab("Вход", id="login"):
                login_email = gr.Textbox(label="Email", type="email", elem_id="login-email")
                login_password = gr.Textbox(label="Пароль", type="password", elem_id="login-password")
                login_btn = gr.Button("Войти", variant="primary", elem_id="login-submit")
            with gr.Tab("Регистрация", id="register"):
                register_email = gr.Textbox(label="Email", type="email", elem_id="register-email")
                register_password = gr.Textbox(label="Пароль (от 8 символов)", type="password",
                                               elem_id="register-password")
                register_btn = gr.Button("Зарегистрироваться", variant="primary", elem_id="register-submit")
        close_auth_btn = gr.Button("Закрыть", size="sm", variant="secondary", elem_id="auth-close")
    return Header(user=user, open_auth_btn=open_auth_btn, logout_btn=logout_btn, auth_panel=auth_panel,
                  auth_tabs=auth_tabs, login_email=login_email, login_password=login_password, login_btn=login_btn,
                  register_email=register_email, register_password=register_password, register_btn=register_btn,
                  close_auth_btn=close_auth_btn)


def signed_in_view(header: Header, user) -> dict:
    return {header.user: render.header_html(user), header.open_auth_btn: gr.Button(visible=False),
            header.logout_btn: gr.Button(visible=True), header.auth_panel: gr.Column(visible=False),
            header.login_password: "", header.register_password: ""}


def signed_out_view(header: Header) -> dict:
    return {header.user: render.header_html(None), header.open_auth_btn: gr.Button(visible=True),
            header.logout_btn: gr.Button(visible=False)}


def outputs(header: Header) -> list:
    return [header.user, header.open_auth_btn, header.logout_btn, header.auth_panel, header.login_password,
            header.register_password]
