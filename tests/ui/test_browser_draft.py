"""«Черновик» → «Доработать» in a real browser (Playwright + Debian's Chromium), at 1280×800 and 390×844, on the live
app with the tiny models and its in-process worker.

A chef picks «Черновик» (the price and the one-line explanations follow), makes one, finds her balance too low for
«Доработать: быстро» (a Russian refusal, nothing charged, the draft and its buttons still there), tops up,
double-clicks «Доработать: быстро» (one job, one charge; same seed, from the draft), and after a reload finds both
designs in «Мои дизайны».
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect  # noqa: E402  (after the Chromium skip in browser.py)

from tests.ui.browser import VIEWPORTS, Screens, finished, new_page, open_tab, signed_in, usable
from tortodelova.accounts import service as accounts
from tortodelova.billing import service as billing
from tortodelova.billing.pricing import price
from tortodelova.generation.models import Generation


def sign_in(page, app, email: str, password: str) -> None:
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(email)
    page.locator("#login-password input").fill(password)
    page.locator("#login-submit").click()
    signed_in(page)


def set_balance(app, user_id: int, target: int) -> None:
    with app.services.session_factory() as session:
        amount = target - billing.balance_of(session=session, user_id=user_id)
        billing.apply(session=session, user_id=user_id, amount=amount, kind="admin_adjust", description="test")
        session.commit()


def jobs_of(app, user_id: int) -> list[Generation]:
    with app.services.session_factory() as session:
        return session.query(Generation).filter_by(user_id=user_id).order_by(Generation.created_at).all()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_draft_then_refine(browser, fresh_app, viewport):
    app = fresh_app()
    email, password = f"draft-{viewport}@example.com", "draft-password-1"
    app.user(email, password)
    draft_price = price(size="square", quality="draft", variants=1)
    fast_price = price(size="square", quality="fast", variants=1)
    assert draft_price < fast_price
    with app.services.session_factory() as session:
        user_id = accounts.get_by_email(session=session, email=email).id
    set_balance(app, user_id, draft_price + fast_price - 1)  # a draft, then one credit short of «Доработать»

    screens = Screens(f"{viewport}-draft")
    context, page = new_page(browser, viewport)
    sign_in(page, app, email, password)
    open_tab(page, "Создать")
    page.locator("#create-prompt textarea").fill("Двухъярусный торт с голубикой")
    page.locator("#create-advanced").get_by_text("Дополнительно").click()
    expect(page.locator("#create-quality-help")).to_contain_text("Черновик")
    page.locator("#create-quality").get_by_text("Черновик", exact=True).click()
    expect(page.locator("#create-price")).to_contain_text(f"{draft_price} кредит")
    screens.shot(page, "form")

    page.locator("#create-generate").click()
    finished(page, "#create-status .td-progress")
    expect(page.locator("#create-gallery img")).to_have_count(1)
    expect(page.locator("#header-user")).to_contain_text(f"{fast_price - 1} кредит")
    expect(page.locator("#create-refine")).to_be_visible()
    usable(page, "#create-refine-fast")
    screens.shot(page, "draft-done")

    # One credit short: refused in Russian, nothing charged, no job, the draft and «Доработать» still there.
    page.locator("#create-refine-fast").click()
    expect(page.locator("#create-notice")).to_contain_text("Недостаточно кредитов")
    expect(page.locator("#create-notice")).to_contain_text("Ничего не списано")
    assert [job.quality for job in jobs_of(app, user_id)] == ["draft"]
    expect(page.locator("#create-gallery img")).to_have_count(1)
    usable(page, "#create-refine-fast")
    screens.shot(page, "refine-refused")

    # Topped up; a double click on «Доработать: быстро» makes one job and charges once.
    set_balance(app, user_id, fast_price + 1)
    page.locator("#create-refine-fast").dblclick()
    finished(page, "#create-status .td-progress")
    expect(page.locator("#create-gallery img")).to_have_count(1)
    expect(page.locator("#header-user")).to_contain_text("1 кредит")
    expect(page.locator("#create-refine")).to_be_hidden()  # a fast design is not a draft
    screens.shot(page, "refined")
    draft, refined = jobs_of(app, user_id)
    assert (draft.quality, refined.quality, refined.status) == ("draft", "fast", "succeeded")
    assert (refined.init_generation_id, refined.seeds) == (draft.id, draft.seeds)
    with app.services.session_factory() as session:
        assert billing.balance_of(session=session, user_id=user_id) == 1

    # After a reload both designs are in «Мои дизайны».
    page.reload()
    signed_in(page)
    open_tab(page, "Мои дизайны")
    expect(page.locator("#designs-gallery img")).to_have_count(2)
    screens.shot(page, "designs")
    context.close()
