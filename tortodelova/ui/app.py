"""The Blocks app: header, «Создать», «Мои дизайны», «Баланс», «Демо», «Админ».

`build_ui(services)` lays the screens out and wires them; `launch_options(settings)` are the keyword arguments for
`gr.mount_gradio_app`. The JWT lives in the browser (`gr.BrowserState`) and is an input of every event; the handlers
verify it on the server each time and keep nothing per user in this process.
"""
from __future__ import annotations

import hashlib
import hmac

import gradio as gr

from tortodelova.accounts import service as accounts
from tortodelova.admin import ui as admin_ui
from tortodelova.config import Settings
from tortodelova.services import Services
from tortodelova.ui import account, balance, create, demo, designs
from tortodelova.ui.common import NO_GUEST, SIGNED_OUT, db, handler, notify, origin, token_of, user_or_none, warn

TITLE = "Тортоделова — дизайн торта по описанию"

CSS = """
.gradio-container { max-width: min(1180px, 100vw) !important; margin: 0 auto !important; }
/* Wide tables scroll inside their box instead of stretching the page on a phone. */
.td-table { max-width: 100%; min-width: 0 !important; overflow-x: auto; }
.tabitem, .tabitem > .column { min-width: 0 !important; }
.td-header { align-items: center; flex-wrap: wrap; gap: 8px; padding: 4px 0 8px;
             border-bottom: 1px solid var(--border-color-primary); }
.td-header > * { min-width: 0 !important; }
.td-logo { font-size: 1.25rem; white-space: nowrap; }
.td-header-user { font-size: .95rem; text-align: right; }
.td-header-buttons { justify-content: flex-end; flex-wrap: nowrap; gap: 6px; }
.td-header-buttons button { width: auto !important; flex: 0 0 auto !important; }
.td-muted { color: var(--body-text-color-subdued); font-weight: 400; }
.td-badge { background: var(--primary-100); color: var(--primary-700); border-radius: 8px; padding: 1px 8px;
            font-size: .8rem; }
.td-card { border: 1px solid var(--border-color-primary); border-radius: 14px; padding: 12px;
           background: var(--background-fill-secondary); }
.td-auth { max-width: 460px; margin: 8px auto; }
.td-price { font-size: 1.05rem; }
.td-progress { border-radius: 12px; padding: 12px; background: var(--background-fill-secondary); }
.td-status-line { font-weight: 600; margin-bottom: 8px; }
.td-bar { height: 10px; border-radius: 6px; background: var(--neutral-200); overflow: hidden; }
.td-bar > div { height: 100%; background: var(--primary-500); transition: width .4s ease; }
.td-preview { margin-top: 10px; width: 100%; max-width: 320px; border-radius: 10px; display: block; }
.td-failed .td-status-line, .td-cancelled .td-status-line { color: var(--error-text-color); }
.td-note { border-radius: 12px; padding: 12px; }
.td-warning { background: var(--color-accent-soft); border: 1px solid var(--primary-300); }
.td-downloads { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0; }
.td-dl { display: inline-block; padding: 8px 14px; border-radius: 10px; text-decoration: none !important;
         background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color) !important;
         border: 1px solid var(--border-color-primary); font-size: .9rem; }
.td-balance-big { font-size: 1.2rem; }
.td-pager { align-items: center; flex-wrap: wrap; }
.td-pager button { flex: 0 0 auto !important; width: auto !important; }
.td-email { overflow-wrap: anywhere; }
@media (max-width: 640px) {
  .td-logo .td-muted { display: none; }
  #header-user { order: 3; flex: 1 1 100% !important; }
  .td-header-user { text-align: left; font-size: .85rem; }
  #designs-gallery .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)) !important; }
}
"""


def theme() -> gr.themes.Base:
    # System fonts only: the service must render without reaching Google Fonts.
    return gr.themes.Soft(
        primary_hue="rose", secondary_hue="amber", neutral_hue="stone", radius_size="lg",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def state_secret(settings: Settings, purpose: str) -> str:
    """BrowserState encrypts in the browser with a secret sent in the page config, so it must not be the JWT secret
    itself; deriving it keeps the stored session readable across restarts."""
    return hmac.new(settings.resolved_jwt_secret().encode(), f"browser-state:{purpose}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def launch_options(settings: Settings) -> dict:
    blocked = [str(settings.data_dir.resolve()), str(settings.models_dir.resolve())]
    return dict(
        ssr_mode=False, max_file_size=settings.max_upload_bytes, allowed_paths=[], blocked_paths=blocked,
        run_history=False, show_error=False, footer_links=[], mcp_server=False, pwa=False,
        theme=theme(), css=CSS,
    )


def build_ui(services: Services) -> gr.Blocks:
    settings = services.settings
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        token = gr.BrowserState(SIGNED_OUT, storage_key="tortodelova_session",
                                secret=state_secret(settings, "session"))
        guest = gr.BrowserState(NO_GUEST, storage_key="tortodelova_guest", secret=state_secret(settings, "guest"))
        header = account.layout()
        with gr.Tabs(selected="create", overflow_behavior="wrap", elem_id="main-tabs") as tabs:
            with gr.Tab("Создать", id="create", elem_id="tab-create"):
                create_tab = create.layout()
            with gr.Tab("Мои дизайны", id="designs", elem_id="tab-designs") as designs_tab_block:
                designs_tab = designs.layout()
            with gr.Tab("Баланс", id="balance", elem_id="tab-balance") as balance_tab_block:
                balance_tab = balance.layout()
            with gr.Tab("Демо", id="demo", elem_id="tab-demo"):
                demo_tab = demo.layout()
            with gr.Tab("Админ", id="admin", visible=False, elem_id="tab-admin") as admin_tab_block:
                admin_tab = admin_ui.layout()

        create.wire(create_tab, services, token, header.user, tabs)
        designs.wire(designs_tab, services, token, designs_tab_block)
        balance.wire(balance_tab, services, token, header.user, balance_tab_block)
        demo.wire(demo_tab, services, guest)
        admin_ui.wire(admin_tab, services, token, admin_tab_block)

        session_outputs = [token, guest, tabs, admin_tab_block, *account.outputs(header),
                           *designs.outputs(designs_tab), *balance.outputs(balance_tab), *demo.outputs(demo_tab)]

        def session_view(session, user, guest_value, request, *, select_tab: bool) -> dict:
            base = origin(services, request)
            out: dict = {}
            if user is None:
                out.update(account.signed_out_view(header))
                out.update(designs.signed_out_view(designs_tab))
                out.update(balance.signed_out_view(balance_tab))
                out[admin_tab_block] = gr.Tab(visible=False)
            else:
                claimed_guest, message = demo.claim_into(session, user, guest_value)
                if claimed_guest is not None:
                    guest_value = out[guest] = claimed_guest
                if message:
                    notify(message)
                out.update(account.signed_in_view(header, user))
                out.update(designs.view(designs_tab, session, services, user, 0, base))
                out.update(balance.view(balance_tab, session, user))
                out[admin_tab_block] = gr.Tab(visible=user.role == "admin")
                if select_tab:
                    out[tabs] = gr.Tabs(selected="designs" if message else "create")
            out.update(demo.view(demo_tab, session, services, guest_value, base, signed_in=user is not None))
            return out

        @handler
        def restore(token_value, guest_value, request: gr.Request):
            """Page load: show the session stored in this browser if its token still verifies."""
            with db(services) as session:
                user = user_or_none(session, services, token_value)
                out = session_view(session, user, guest_value, request, select_tab=False)
                if user is None and token_of(token_value):
                    warn("Сессия закончилась — войдите снова")
                    out[token] = SIGNED_OUT
                return out

        def signed_in(session, issued, guest_value, request) -> dict:
            user = accounts.user_from_token(session=session, settings=settings, token=issued.access_token)
            return {token: issued.access_token, **session_view(session, user, guest_value, request,
                                                               select_tab=True)}

        @handler
        def login(email, password, guest_value, request: gr.Request):
            with db(services) as session:
                issued = accounts.login(session=session, settings=settings, email=email, password=password)
                return signed_in(session, issued, guest_value, request)

        @handler
        def register(email, password, guest_value, request: gr.Request):
            with db(services) as session:
                user = accounts.register(session=session, settings=settings, email=email, password=password)
                notify(f"Добро пожаловать! На балансе {user.balance} кредитов в подарок")
                return signed_in(session, accounts.issue_token(settings=settings, user=user), guest_value, request)

        @handler
        def logout(token_value, guest_value, request: gr.Request):
            # The browser forgets the token and the server refuses it from now on (revoked by its jti).
            with db(services) as session:
                accounts.logout(session=session, settings=settings, token=token_of(token_value))
                return {token: SIGNED_OUT, **session_view(session, None, guest_value, request, select_tab=False),
                        tabs: gr.Tabs(selected="create")}

        blocks.load(restore, [token, guest], session_outputs, api_name="session_restore")
        header.login_btn.click(login, [header.login_email, header.login_password, guest], session_outputs,
                               api_name="login")
        header.login_password.submit(login, [header.login_email, header.login_password, guest], session_outputs,
                                     api_name="login_submit")
        header.register_btn.click(register, [header.register_email, header.register_password, guest],
                                  session_outputs, api_name="register")
        header.logout_btn.click(logout, [token, guest], session_outputs, api_name="logout")

        def open_auth():
            return gr.Column(visible=True), gr.Tabs(selected="login")

        def open_register():
            return gr.Column(visible=True), gr.Tabs(selected="register")

        def close_auth():
            return gr.Column(visible=False), gr.Tabs()

        for button, fn in ((header.open_auth_btn, open_auth), (demo_tab.register_btn, open_register),
                           (header.close_auth_btn, close_auth)):
            button.click(fn, None, [header.auth_panel, header.auth_tabs], api_visibility="private", queue=False)
    blocks.queue(default_concurrency_limit=8)
    return blocks
