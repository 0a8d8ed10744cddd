"""The UI in a real browser (Playwright + Debian's Chromium) at 1280×800 and 390×844, walking the error paths.

Visitor: lands on the free demo → makes it → registers from the invitation (a too-short password first; the dialog
opens in view) → the demo is in «Мои дизайны» → a create refused for credits → «Пополнить» → 1.5 and 1e3 refused,
100 accepted → creates 2 variants (progress beside the button on a desktop, under it on a phone) → downloads →
shares → the share page. Every state is screenshotted into test-artifacts/screens/ and checked by `Screens.shot`:
nothing in an error state, nothing in English, no horizontal overflow.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect  # noqa: E402  (after the Chromium skip in browser.py)

from tests.ui.browser import (
    VIEWPORTS,
    Screens,
    box,
    finished,
    in_first_viewport,
    in_view,
    new_page,
    open_tab,
    signed_in,
    toast,
    usable,
)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_visitor_first_minute_to_share(browser, fresh_app, viewport, tmp_path):
    app = fresh_app()
    email = f"chef-{viewport}@example.com"
    screens = Screens(f"{viewport}-visitor")
    context, page = new_page(browser, viewport)
    page.goto(app.url)
    signed_in(page, False)
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # 1. A visitor lands on the free demo (the first tab) and can make it at once.
    expect(page.get_by_role("tab", name="Попробовать бесплатно")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Админ")).to_have_count(0)
    in_first_viewport(page, "#demo-create")
    screens.shot(page, "start")

    # «Создать дизайн» needs an account: the sign-in dialog opens in view and says why; the prompt stays.
    open_tab(page, "Создать")
    page.locator("#create-prompt textarea").fill("Торт с голубикой")
    page.locator("#create-generate").click()
    expect(page.locator("#auth-panel")).to_be_visible()
    expect(page.locator("#auth-note")).to_contain_text("войдите или зарегистрируйтесь")
    in_view(page, "#register-submit")
    screens.shot(page, "visitor-create-asks-sign-in")
    page.locator("#auth-close").click()
    expect(page.locator("#auth-panel")).to_be_hidden()
    expect(page.locator("#create-prompt textarea")).to_have_value("Торт с голубикой")
    open_tab(page, "Попробовать бесплатно")
    page.locator("#demo-prompt textarea").fill("Торт с клубникой")
    page.locator("#demo-create").click()
    finished(page, "#demo-status .td-progress")
    expect(page.locator("#demo-gallery img").first).to_be_visible()
    screens.shot(page, "demo-done")

    # 2. Register from the invitation: the dialog opens in view; a mistake first, then the right password.
    page.locator("#demo-register").scroll_into_view_if_needed()
    page.locator("#demo-register").click()
    expect(page.locator("#auth-panel")).to_be_visible()
    in_view(page, "#register-submit")
    page.locator("#register-email input").fill(email)
    page.locator("#register-password input").fill("short")
    page.locator("#register-submit").click()
    toast(page, "Пароль должен быть", title="Внимание")
    usable(page, "#register-submit")
    screens.shot(page, "register-refused")
    page.locator("#register-password input").fill("chef-password-1")
    page.locator("#register-submit").click()
    signed_in(page)
    expect(page.locator("#designs-summary")).to_contain_text("Готовых дизайнов: 1")
    expect(page.locator("#designs-gallery img")).to_have_count(1)
    page.wait_for_timeout(200)
    for close in page.locator("[data-testid=toast-close]").all():
        close.click()
    screens.shot(page, "my-designs-with-demo")

    # 3. A create refused for credits (4 × portrait × quality > 30): said under the button, then «Пополнить».
    open_tab(page, "Создать")
    page.locator("#create-prompt textarea").fill("Свадебный торт с пионами, надпись \"Анна и Иван\"")
    page.locator("#create-size").get_by_text("Портрет", exact=True).click()
    page.locator("#create-variants input[type=number]").fill("4")
    page.locator("#create-variants input[type=number]").press("Enter")
    expect(page.locator("#create-price")).to_contain_text("кредит")
    page.locator("#create-generate").click()
    toast(page, "Недостаточно кредитов", title="Внимание")
    expect(page.locator("#create-notice")).to_contain_text("Ничего не списано")
    usable(page, "#create-generate")
    screens.shot(page, "create-refused")
    page.locator("#create-topup").click()
    expect(page.locator("#balance-value")).to_contain_text("30 кредитов")

    # 4. Top-up: 1.5 and 1e3 are refused (nothing rounded), then 100 works; the form stays usable throughout.
    for bad in ("1.5", "1e3"):
        page.locator("#balance-amount textarea, #balance-amount input").first.fill(bad)
        page.locator("#balance-deposit").click()
        toast(page, "Сумма пополнения: нужно целое число", title="Внимание")
        expect(page.locator("#balance-value")).to_contain_text("30 кредитов")
        usable(page, "#balance-deposit")
    screens.shot(page, "topup-refused")
    page.locator("#balance-amount textarea, #balance-amount input").first.fill("100")
    page.locator("#balance-deposit").click()
    expect(page.locator("#balance-value")).to_contain_text("130 кредитов")
    expect(page.locator("#balance-history")).to_contain_text("+100")
    toast(page, "Баланс пополнен")
    screens.shot(page, "balance")

    # 5. Two fast variants; at 1280×800 the button and the progress are both in the first viewport, on a phone the
    # progress is right under the button.
    open_tab(page, "Создать")
    page.locator("#create-variants input[type=number]").fill("2")
    page.locator("#create-variants input[type=number]").press("Enter")
    page.locator("#create-size").get_by_text("Квадрат", exact=True).click()
    page.locator("#create-advanced").get_by_text("Дополнительно").click()
    page.locator("#create-quality").get_by_text("Быстро", exact=True).click()
    # «Фото-образец» (issue 12) is folded in «Дополнительно» of the same form.
    expect(page.locator("#create-advanced #create-photo")).to_be_visible()
    expect(page.locator("#create-advanced #create-photo-strength")).to_be_visible()
    expect(page.locator("#create-price")).to_contain_text("10 кредитов")
    if viewport == "desktop":
        for selector in ("#create-prompt", "#create-style", "#create-price", "#create-generate"):
            in_first_viewport(page, selector)
    screens.shot(page, "create-form")
    page.locator("#create-generate").click()
    expect(page.locator("#create-status .td-progress")).to_be_visible()
    expect(page.locator("#create-check")).to_contain_text("Анна и Иван")
    # While it runs: «будет нанесена…»; once the lettering is drawn (the tiny models are quick): «нанесена…».
    expect(page.locator("#create-check")).to_contain_text(
        re.compile(r"Надпись «Анна и Иван» (будет )?нанесена на дизайн буквами"))
    if viewport == "desktop":
        in_first_viewport(page, "#create-generate")
        in_first_viewport(page, "#create-status")
    else:
        button, status = box(page, "#create-generate"), box(page, "#create-status")
        assert status["y"] >= button["y"] + button["height"], (button, status)
        assert status["y"] - (button["y"] + button["height"]) < 200, "the progress is far below the button"
    screens.shot(page, "create-progress")
    finished(page, "#create-status .td-progress")
    expect(page.locator("#create-gallery img")).to_have_count(2)
    expect(page.locator("#header-user")).to_contain_text("120 кредитов")
    expect(page.locator("#create-check")).to_contain_text("Модель получит")
    screens.shot(page, "create-done")

    # 6. Download one image, then share the design and open the link with no session.
    with page.expect_download() as download_info:
        page.locator("[data-testid=download-0]").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    open_tab(page, "Мои дизайны")
    expect(page.locator("#designs-gallery img")).to_have_count(2)
    page.locator("#designs-gallery img").first.click()
    expect(page.locator("#designs-detail-text")).to_contain_text("Анна и Иван")
    page.locator("#designs-share").click()
    link_box = page.locator("#designs-share-link input, #designs-share-link textarea").first
    expect(link_box).to_have_value(re.compile(r"/s/[\w-]+$"))
    link = link_box.input_value()
    toast(page, "Ссылка создана")
    screens.shot(page, "shared")
    guest_context, guest_page = new_page(browser, viewport)
    guest_page.goto(link)
    expect(guest_page.locator("html")).to_have_attribute("lang", "ru")
    expect(guest_page.locator(".brand")).to_have_text("Тортоделова")
    expect(guest_page.locator(".meta")).not_to_contain_text("tortodelova")
    assert guest_page.evaluate("document.images[0].complete && document.images[0].naturalWidth > 0")
    screens.shot(guest_page, "share-page")
    guest_context.close()

    # 7. Sign out; a reload stays signed out.
    page.locator("#header-logout").click()
    signed_in(page, False)
    page.reload()
    signed_in(page, False)
    screens.shot(page, "signed-out")
    context.close()
