"""The admin tab in a real browser at 1280×800 and 390×844: mistakes first, then the right action, without a reload;
and an XSS corpus (an e-mail, a prompt, a reason) that must stay text in the users, designs and operations tables
and in the toasts.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect  # noqa: E402  (after the Chromium skip in browser.py)

from tests.helpers import wait_until
from tests.ui.browser import JOB_TIMEOUT_MS, VIEWPORTS, Screens, new_page, open_tab, signed_in, toast, usable
from tests.ui.conftest import ADMIN_PASSWORD
from tortodelova.accounts import service as accounts
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import FINAL_STATUSES, Generation
from tortodelova.generation.schemas import parse_request

XSS_EMAIL = '<img/src="x"/onerror="window.__xss=1">@x.io'
XSS_PROMPT = 'Торт <img src=x onerror="window.__xss=1"> <b class="xss">жирный</b> [ссылка](javascript:alert(1))'
XSS_REASON = '<script>window.__xss=1</script><a class="xss" href="https://evil.example">подарок</a>'
# What the page may show in Latin letters here: the corpus itself, typed by the admin or the users.
CORPUS_WORDS = (XSS_EMAIL, XSS_PROMPT, XSS_REASON, "<b class=\"xss\">", "<script>window", "img", "src", "onerror",
                "window", "xss", "script", "class",
                "href", "https", "evil", "example", "javascript", "alert", "io")
INJECTED = """() => !window.__xss && !document.querySelector(
    'img[src="x"], b.xss, a.xss, a[href^="javascript"], a[href*="evil.example"], [onerror]')"""


def nothing_injected(page) -> None:
    assert page.evaluate(INJECTED), "an element or attribute from user input is in the DOM"


def xss_user(app) -> str:
    """A user with a hostile e-mail and a design with a hostile prompt (drawn by the real tiny pipeline)."""
    app.user(XSS_EMAIL, credits=20)
    with app.services.session_factory() as session:
        user = accounts.get_by_email(session=session, email=XSS_EMAIL)
        return generation_service.submit(session=session, settings=app.settings, queue=app.services.queue,
                                         user=user, request=parse_request({"prompt": XSS_PROMPT,
                                                                           "quality": "fast"})).id


def share_when_done(app, generation_id: str) -> str:
    with app.services.session_factory() as session:
        user = accounts.get_by_email(session=session, email=XSS_EMAIL)

        def final_status():
            session.expire_all()
            status = session.get(Generation, generation_id).status
            return status if status in FINAL_STATUSES else None

        status = wait_until(final_status, timeout=JOB_TIMEOUT_MS / 1000, interval=0.2,
                            message="the design was not drawn")
        assert status == "succeeded", status
        return generation_service.share(session=session, user=user, generation_id=generation_id).token


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_admin_mistakes_then_right(browser, fresh_app, viewport):
    app = fresh_app()
    app.user("customer@example.com", "customer-password-1")
    hostile_design = xss_user(app)
    screens = Screens(f"{viewport}-admin", allowed=CORPUS_WORDS)
    context, page = new_page(browser, viewport)
    page.goto(app.url)

    # 1. A wrong password, then the right one, without a reload.
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(app.settings.admin_email)
    page.locator("#login-password input").fill("wrong-password")
    page.locator("#login-submit").click()
    toast(page, "Неверная почта или пароль", title="Внимание")
    usable(page, "#login-submit")
    expect(page.locator("#login-email input")).to_have_value(app.settings.admin_email)
    screens.shot(page, "login-refused")
    page.locator("#login-password input").fill(ADMIN_PASSWORD)
    page.locator("#login-submit").click()
    signed_in(page)
    expect(page.locator("#header-user")).to_contain_text("админ")

    # 2. The users table shows e-mails (the hostile one as text); a click on a row picks the user.
    open_tab(page, "Админ")
    expect(page.locator("#admin-users")).to_contain_text("customer@example.com")
    expect(page.locator("#admin-users")).to_contain_text(XSS_EMAIL)
    nothing_injected(page)
    screens.shot(page, "users")
    page.locator("#admin-search textarea").fill("customer")
    page.locator("#admin-search textarea").press("Enter")
    expect(page.locator("#admin-users-page")).to_contain_text("всего 1")
    row = page.locator("#admin-users .virtual-row", has_text="customer@example.com").first
    row.locator(".body-cell", has_text="пользователь").first.click()  # any cell of the row picks its user
    expect(page.locator("#admin-target textarea, #admin-target input").first).to_have_value("customer@example.com")

    # 3. Mistakes: no amount, a fractional amount; the form stays usable; then the right adjustment.
    page.locator("#admin-adjust").click()
    toast(page, "целое", title="Внимание")
    page.locator("#admin-amount textarea, #admin-amount input").first.fill("4.5")
    page.locator("#admin-reason textarea").fill("компенсация")
    page.locator("#admin-adjust").click()
    toast(page, "целое", title="Внимание")
    usable(page, "#admin-adjust")
    expect(page.locator("#admin-users")).to_contain_text("30")
    screens.shot(page, "adjust-refused")
    page.locator("#admin-amount textarea, #admin-amount input").first.fill("45")
    page.locator("#admin-adjust").click()
    toast(page, "customer@example.com: 75 кредитов")
    expect(page.locator("#admin-users")).to_contain_text("75")
    page.locator("#admin-block").click()
    toast(page, "заблокирован")
    expect(page.locator("#admin-users .virtual-row", has_text="customer@example.com").first).to_contain_text("да")
    screens.shot(page, "adjusted-blocked")

    # 4. The hostile user: picked by a click, adjusted with a hostile reason; the toast shows it as text.
    page.locator("#admin-search textarea").fill("x.io")
    page.locator("#admin-search textarea").press("Enter")
    expect(page.locator("#admin-users-page")).to_contain_text("всего 1")
    hostile = page.locator("#admin-users .virtual-row", has_text="x.io").first
    hostile.locator(".body-cell", has_text="20").first.click()
    expect(page.locator("#admin-target textarea, #admin-target input").first).to_have_value(XSS_EMAIL)
    page.locator("#admin-amount textarea, #admin-amount input").first.fill("5")
    page.locator("#admin-reason textarea").fill(XSS_REASON)
    page.locator("#admin-adjust").click()
    expect(page.locator(".toast-item").last).to_contain_text(XSS_EMAIL)
    nothing_injected(page)
    toast(page, "кредит")

    # 5. Operations and designs show e-mails, the hostile values as text.
    page.get_by_role("tab", name="Операции", exact=True).click()
    page.locator("#admin-txn-show").click()
    expect(page.locator("#admin-transactions")).to_contain_text("Корректировка")
    expect(page.locator("#admin-transactions")).to_contain_text("customer@example.com")
    expect(page.locator("#admin-transactions")).to_contain_text("<script>")
    nothing_injected(page)
    screens.shot(page, "transactions")
    page.get_by_role("tab", name="Дизайны", exact=True).click()
    page.locator("#admin-gen-show").click()
    expect(page.locator("#admin-generations")).to_contain_text(XSS_EMAIL)
    expect(page.locator("#admin-generations")).to_contain_text('<b class="xss">')
    nothing_injected(page)
    screens.shot(page, "generations")
    page.get_by_role("tab", name="Статистика", exact=True).click()
    page.locator("#admin-stats-show").click()
    expect(page.locator("#admin-queue")).to_contain_text("В очереди сейчас")
    expect(page.locator("#admin-activity-plot canvas, #admin-activity-plot svg").first).to_be_visible()
    screens.shot(page, "stats")

    # 6. The blocked customer is told so when signing in.
    other, customer = new_page(browser, viewport)
    customer.goto(app.url)
    customer.locator("#header-login").click()
    customer.locator("#login-email input").fill("customer@example.com")
    customer.locator("#login-password input").fill("customer-password-1")
    customer.locator("#login-submit").click()
    toast(customer, "Аккаунт заблокирован")
    signed_in(customer, False)
    other.close()

    page.locator("#header-logout").click()
    signed_in(page, False)
    expect(page.get_by_role("tab", name="Админ")).to_have_count(0)

    # 7. The share page of the hostile design shows the prompt as text.
    page.goto(f"{app.url}/s/{share_when_done(app, hostile_design)}")
    expect(page.locator(".description")).to_have_text(XSS_PROMPT)
    nothing_injected(page)
    screens.shot(page, "share-page-hostile")
    context.close()
