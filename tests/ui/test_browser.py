"""The UI in a real browser: Playwright for Python driving Debian's Chromium against the running app.

Visitor: demo design → registers → the design is in «Мои дизайны» → tops up → generates 2 variants → progress, then
images → downloads one → shares it → the link opens in a fresh context → signs out → a reload stays signed out.
Admin: signs in, sees the «Админ» tab, finds a user, adjusts the balance, blocks them, sees the statistics.
Each runs at a desktop and a phone viewport; screenshots go to test-artifacts/screens/ (not committed).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
JOB_TIMEOUT_MS = 180_000
UI_TIMEOUT_MS = 30_000

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    reason = f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium"
    print(f"SKIP test_browser: {reason}")
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tortodelova.accounts.models import User  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Screens:
    def __init__(self, prefix: str):
        self.prefix, self.count = prefix, 0
        SCREENS.mkdir(parents=True, exist_ok=True)

    def shot(self, page: Page, name: str) -> None:
        self.count += 1
        expect(page.locator(".pending")).to_have_count(0)  # Gradio fades blocks while their event runs
        page.screenshot(path=str(SCREENS / f"{self.prefix}-{self.count:02d}-{name}.png"), full_page=True)
        # Works on a phone: nothing may push the page wider than the screen.
        width = page.viewport_size["width"]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{name}: the page is {overflow}px wide on a {width}px screen"


def open_tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()


def signed_in(page: Page, yes: bool = True) -> None:
    expect(page.locator("#header-user .td-header-user")).to_have_attribute("data-signed-in", "1" if yes else "0",
                                                                          timeout=UI_TIMEOUT_MS)


def new_page(browser, viewport: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True, locale="ru-RU")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    return context, page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_visitor_journey(browser, fresh_app, viewport, tmp_path):
    app = fresh_app()
    screens = Screens(f"{viewport}-visitor")
    context, page = new_page(browser, viewport)
    page.goto(app.url)
    signed_in(page, False)
    expect(page.get_by_role("tab", name="Админ")).to_have_count(0)
    screens.shot(page, "start")

    # 1. The free demo design.
    open_tab(page, "Демо")
    page.locator("#demo-prompt textarea").fill("Нежный торт с клубникой и мятой")
    page.locator("#demo-create").click()
    expect(page.locator("#demo-status .td-progress")).to_have_attribute("data-status", "succeeded",
                                                                        timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#demo-gallery img").first).to_be_visible()
    expect(page.locator("#demo-invite")).to_be_visible()
    screens.shot(page, "demo-done")

    # 2. Register from the invitation; the demo design is claimed into «Мои дизайны».
    page.locator("#demo-register").click()
    page.locator("#register-email input").fill(f"chef-{viewport}@example.com")
    page.locator("#register-password input").fill("chef-password-1")
    screens.shot(page, "register-form")
    page.locator("#register-submit").click()
    signed_in(page)
    expect(page.locator("#designs-summary")).to_contain_text("Готовых дизайнов: 1")
    expect(page.locator("#designs-gallery img")).to_have_count(1)
    screens.shot(page, "my-designs-with-demo")

    # 3. Top up.
    open_tab(page, "Баланс")
    expect(page.locator("#balance-value")).to_contain_text("30 кредитов")
    page.locator("#balance-amount input").fill("100")
    page.locator("#balance-deposit").click()
    expect(page.locator("#balance-value")).to_contain_text("130 кредитов")
    expect(page.locator("#balance-history")).to_contain_text("Пополнение")
    screens.shot(page, "balance")

    # 4. Two fast variants: progress first, then the images.
    open_tab(page, "Создать")
    page.locator("#create-prompt textarea").fill("Шоколадный торт с ягодами и золотой поталью")
    page.locator("#create-variants input[type=number]").fill("2")
    page.locator("#create-variants input[type=number]").press("Enter")
    page.get_by_text("Дополнительно").click()
    page.locator("#create-quality").get_by_text("Быстро", exact=True).click()
    expect(page.locator("#create-price")).to_contain_text("10 кредитов")
    screens.shot(page, "create-form")
    page.locator("#create-generate").click()
    expect(page.locator("#create-status .td-progress")).to_be_visible()
    expect(page.locator("#create-status .td-bar")).to_be_visible()
    screens.shot(page, "create-progress")
    expect(page.locator("#create-status .td-progress")).to_have_attribute("data-status", "succeeded",
                                                                          timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#create-gallery img")).to_have_count(2)
    expect(page.locator("#header-user")).to_contain_text("120 кредитов")
    screens.shot(page, "create-done")

    # 5. Download one image.
    with page.expect_download() as download_info:
        page.locator("[data-testid=download-0]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".png")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # 6. Share it and open the link in a fresh context (no session there).
    open_tab(page, "Мои дизайны")
    expect(page.locator("#designs-gallery img")).to_have_count(2)
    page.locator("#designs-gallery img").first.click()
    expect(page.locator("#designs-detail")).to_be_visible()
    expect(page.locator("#designs-detail-text")).to_contain_text("Шоколадный торт")
    page.locator("#designs-share").click()
    link_box = page.locator("#designs-share-link input, #designs-share-link textarea").first
    expect(link_box).to_have_value(re.compile(r"/s/[\w-]+$"))
    link = link_box.input_value()
    screens.shot(page, "shared")
    guest_context, guest_page = new_page(browser, viewport)
    guest_page.goto(link)
    expect(guest_page.locator("h1")).to_have_text("Дизайн торта")
    expect(guest_page.locator("img").first).to_be_visible()
    assert guest_page.evaluate("document.images[0].complete && document.images[0].naturalWidth > 0")
    screens.shot(guest_page, "share-page")
    guest_context.close()

    # 7. Sign out; a reload stays signed out.
    page.locator("#header-logout").click()
    signed_in(page, False)
    page.reload()
    signed_in(page, False)
    expect(page.locator("#designs-gallery img")).to_have_count(0)
    screens.shot(page, "signed-out")
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_admin_journey(browser, fresh_app, viewport):
    app = fresh_app()
    app.user("customer@example.com")
    screens = Screens(f"{viewport}-admin")
    context, page = new_page(browser, viewport)
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(app.settings.admin_email)
    page.locator("#login-password input").fill("admin-password-1")
    page.locator("#login-submit").click()
    signed_in(page)
    expect(page.locator("#header-user")).to_contain_text("админ")
    open_tab(page, "Админ")
    expect(page.locator("#admin-users")).to_contain_text("customer@example.com")
    screens.shot(page, "users")

    page.locator("#admin-search textarea").fill("customer")
    page.locator("#admin-search textarea").press("Enter")
    expect(page.locator("#admin-users-page")).to_contain_text("всего 1")
    with app.services.session_factory() as session:
        user_id = session.query(User.id).filter_by(email="customer@example.com").scalar()
    page.locator("#admin-user-id input").fill(str(user_id))
    page.locator("#admin-amount input").fill("45")
    page.locator("#admin-reason textarea").fill("компенсация")
    page.locator("#admin-adjust").click()
    expect(page.locator("#admin-users")).to_contain_text("75")
    page.locator("#admin-block").click()
    expect(page.locator("#admin-users tbody tr").first).to_contain_text("да")
    screens.shot(page, "adjusted-blocked")

    page.get_by_role("tab", name="Операции").click()
    page.locator("#admin-txn-show").click()
    expect(page.locator("#admin-transactions")).to_contain_text("Корректировка")
    screens.shot(page, "transactions")
    page.get_by_role("tab", name="Статистика").click()
    page.locator("#admin-stats-show").click()
    expect(page.locator("#admin-queue")).to_contain_text("В очереди сейчас")
    expect(page.locator("#admin-activity-plot canvas, #admin-activity-plot svg").first).to_be_visible()
    screens.shot(page, "stats")

    # A normal user's browser never shows the tab.
    page.locator("#header-logout").click()
    signed_in(page, False)
    expect(page.get_by_role("tab", name="Админ")).to_have_count(0)
    context.close()
