"""The Blocks app: header, «Попробовать бесплатно», «Создать», «Мои дизайны», «Баланс», «Админ».

`build_ui(services)` lays the screens out and has each module wire its events to its module-level handlers;
`launch_options(settings)` are the keyword arguments for
`gr.mount_gradio_app`. The JWT lives in the browser (`gr.BrowserState`) and is an input of every event; the handlers
verify it on the server each time and keep nothing per user in this process.
"""
from __future__ import annotations

import hashlib
import hmac

import gradio as gr

from tortodelova.config import Settings
from tortodelova.container import Services
from tortodelova.ui import account, balance, card, create, demo, designs, i18n, session
from tortodelova.ui import admin as admin_ui
from tortodelova.ui import lifecycle as lifecycle_ui
from tortodelova.ui import selections as selections_ui
from tortodelova.ui import terms as terms_ui
from tortodelova.ui.common import NO_GUEST, SIGNED_OUT

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
.td-header-buttons { flex: 0 0 auto !important; width: auto !important; min-width: max-content !important; }
.td-header-buttons button { width: auto !important; flex: 0 0 auto !important; min-width: 0 !important;
                            padding-left: 14px !important; padding-right: 14px !important; }
.td-header > .block { width: auto !important; }
#td-logo { flex: 1 1 200px !important; }
#header-user { flex: 0 1 auto !important; }
.td-header-user { white-space: nowrap; }
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
/* Sign-in as a dialog: whichever button opens it, it is in view. */
#auth-panel { position: fixed !important; top: 64px; left: 50%; transform: translateX(-50%); z-index: 1000;
              width: min(460px, calc(100vw - 24px)) !important; margin: 0 !important;
              box-shadow: 0 12px 40px rgba(60, 30, 30, .25); background: var(--background-fill-primary); }
/* «Создать»: form | result on a desktop (the extra settings under the form); one column on a phone, the progress
   and images right under the button. */
#create-grid { display: grid !important; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 16px;
               align-items: start; }
#create-form { grid-column: 1; grid-row: 1; }
#create-result { grid-column: 2; grid-row: 1 / span 2; }
#create-extra { grid-column: 1; grid-row: 2; }
#create-grid > .column { min-width: 0 !important; }
.td-style-info { font-size: .85rem; margin-top: -6px; }
.td-create-buttons button { flex: 1 1 auto; }
.td-check { border-radius: 12px; padding: 10px 12px; margin-top: 8px; background: var(--background-fill-secondary);
            font-size: .9rem; display: grid; gap: 6px; }
.td-inscription { font-weight: 600; }
.td-truncated { color: var(--error-text-color); }
.td-jobs { margin-top: 10px; font-size: .9rem; }
.td-jobs-title { font-weight: 600; margin-bottom: 4px; }
.td-jobs ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 4px; }
.td-job { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 8px; border-radius: 8px;
          background: var(--background-fill-secondary); }
.td-job-prompt { flex: 1 1 160px; min-width: 0; overflow-wrap: anywhere; }
.td-job.td-failed .td-job-status, .td-job.td-cancelled .td-job-status { color: var(--error-text-color); }
@media (max-width: 820px) {
  #create-grid { display: flex !important; flex-direction: column; }
  #create-grid > .column { width: 100% !important; min-width: 0 !important; align-self: stretch; }
}
@media (max-width: 640px) {
  .td-logo .td-muted { display: none; }
  #header-user { order: 3; flex: 1 1 100% !important; }
  .td-header-buttons { flex: 1 1 100% !important; min-width: 0 !important; justify-content: flex-start;
                       flex-wrap: wrap; }
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
        theme=theme(), css=CSS, js=i18n.JS, i18n=i18n.I18N,
    )


def build_ui(services: Services) -> gr.Blocks:
    settings = services.settings
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        token = gr.BrowserState(SIGNED_OUT, storage_key="tortodelova_session",
                                secret=state_secret(settings, "session"))
        guest = gr.BrowserState(NO_GUEST, storage_key="tortodelova_guest", secret=state_secret(settings, "guest"))
        header = account.layout()
        # A visitor lands on the free demo; a signed-in user on «Создать».
        with gr.Tabs(selected="demo", overflow_behavior="wrap", elem_id="main-tabs") as tabs:
            with gr.Tab("Попробовать бесплатно", id="demo", elem_id="tab-demo") as demo_tab_block:
                demo_tab = demo.layout()
            with gr.Tab("Создать", id="create", elem_id="tab-create"):
                create_tab = create.layout()
            with gr.Tab("Мои дизайны", id="designs", elem_id="tab-designs") as designs_tab_block:
                selections_panel = selections_ui.layout()  # issue 22: selections for the customer
                designs_tab = designs.layout()
            with gr.Tab("Баланс", id="balance", elem_id="tab-balance") as balance_tab_block:
                balance_tab = balance.layout()
            with gr.Tab("Для заказчика", id="baker", elem_id="tab-baker") as baker_tab_block:  # issue 12
                baker_tab = card.layout()
            with gr.Tab("Админ", id="admin", visible=False, elem_id="tab-admin") as admin_tab_block:
                admin_tab = admin_ui.layout()
        screens = session.Screens(token=token, guest=guest, tabs=tabs, demo_tab=demo_tab_block,
                                  admin_tab=admin_tab_block, header=header, create=create_tab, designs=designs_tab,
                                  balance=balance_tab, demo=demo_tab)

        session.wire(screens, services, blocks)
        account.wire(header, [demo_tab.register_btn])
        create.wire(create_tab, services, token, header, tabs)
        designs.wire(designs_tab, services, token, designs_tab_block, create_tab, tabs)
        balance.wire(balance_tab, services, token, header.user, balance_tab_block)
        card.wire(baker_tab, services, token, baker_tab_block)
        selections_ui.wire(selections_panel, services, token, designs_tab=designs_tab_block, create_tab=create_tab,
                           baker_tab=baker_tab, header=header, tabs=tabs, refresh=designs_tab.refresh_btn)
        card.wire_header(header, services, token)
        terms_ui.wire(header, services, token)
        demo.wire(demo_tab, services, guest)
        admin_ui.wire(admin_tab, services, token, admin_tab_block)
        lifecycle_ui.wire(screens, services)
    blocks.queue(default_concurrency_limit=8)
    return blocks
