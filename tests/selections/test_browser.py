"""A selection end to end in Chromium, both sides of it: the chef (1280×800) makes it in «Мои дизайны», the customer
(390×844, no account) opens the link, swipes, chooses, comments, reloads and changes the choice; the chef sees the
answer and the badge and marks it agreed; the customer then sees the agreed design and downloads the card.
Real service (tests/ui/conftest.py), SQLite, local store; designs from the factory (no pipeline run).

Screenshots go to test-artifacts/screens/ (kept by CI), prefixed `selection-`.
"""
from __future__ import annotations

import re
import subprocess

from playwright.sync_api import expect

from tests.selections.factories import make_design
from tests.ui.browser import Screens, new_page, open_tab, signed_in, toast
from tests.ui.conftest import browser, live_app  # noqa: F401 - fixtures (one app for this module)
from tortodelova.accounts import profile
from tortodelova.accounts import service as accounts
from tortodelova.selections.models import Selection

TITLE = "Торт на юбилей Ольги, 3 кг"
NOTE = "Три варианта: с пионами, с ягодами и строгий"
COMMENT = "Второй, но без ягод и надпись золотом"


def chef_with_designs(app, email: str, password: str, *, name: str = "Кондитерская Марины",
                      contact: str = "+7 900 123-45-67") -> list[str]:
    app.user(email, password)
    with app.services.session_factory() as session:
        user = accounts.get_by_email(session=session, email=email)
        profile.update(session=session, user=user, changes={"display_name": name, "contact": contact})
        user_id = user.id
    prompts = [("Торт с пионами", "Ольге 50"), ("Торт с ягодами", None), ("Строгий белый торт", "С юбилеем")]
    # Pictures numbered as the customer's page numbers its options: 1–2, 3, 4.
    return [make_design(app.services, user_id, variants=1 if i else 2, prompt=prompt, inscription=inscription,
                        first_number=(1, 3, 4)[i]) for i, (prompt, inscription) in enumerate(prompts)]


def sign_in(page, app, email, password):
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(email)
    page.locator("#login-password input").fill(password)
    page.locator("#login-submit").click()
    signed_in(page)


def test_chef_and_customer_agree_on_a_design(browser, live_app):  # noqa: F811
    app = live_app
    email, password = "marina@example.com", "marina-password-1"
    chef_with_designs(app, email, password)
    chef_screens = Screens("selection-desktop-chef", allowed=(TITLE, NOTE, COMMENT))
    customer_screens = Screens("selection-phone-customer")

    # 1. The chef ticks three designs, names the selection and gets the link.
    chef_context, chef = new_page(browser, "desktop")
    sign_in(chef, app, email, password)
    open_tab(chef, "Мои дизайны")
    expect(chef.locator("#sel-list")).to_contain_text("Подборок пока нет")
    chef.locator("#sel-new").get_by_text("Новая подборка").click()
    for label in ("Торт с пионами", "Торт с ягодами", "Строгий белый торт"):
        chef.locator("#sel-designs label", has_text=label).click()
    chef.locator("#sel-title textarea, #sel-title input").first.fill(TITLE)
    chef.locator("#sel-note textarea").fill(NOTE)
    chef.locator("#sel-create").click()
    toast(chef, "Подборка создана")
    link = chef.locator("#sel-link input, #sel-link textarea").first
    expect(link).to_have_value(re.compile(r"/c/[A-Za-z0-9_-]{20,}$"))
    url = link.input_value()
    expect(chef.locator("#sel-list")).to_contain_text("Заказчик ещё не ответил")
    chef_screens.shot(chef, "created")
    open_tab(chef, "Создать")  # the chef works on; the answer will come as a badge

    # 2. The customer opens the link on a phone: the chef, the title, the note, four pictures to swipe.
    customer_context, customer = new_page(browser, "phone")
    customer.goto(url)
    expect(customer.locator("h1")).to_have_text(TITLE)
    expect(customer.locator(".chef")).to_contain_text("Кондитерская Марины")
    expect(customer.locator(".chef")).to_contain_text("+7 900 123-45-67")
    expect(customer.locator(".note")).to_have_text(NOTE)
    expect(customer.locator(".option")).to_have_count(4)
    expect(customer.locator("#v1 figcaption")).to_contain_text("Надпись: «Ольге 50»")
    assert customer.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")
    assert "/images/" in customer.locator('meta[property="og:image"]').get_attribute("content")
    customer_screens.shot(customer, "opened")
    strip = customer.locator(".strip")
    strip.evaluate("el => el.scrollBy({left: el.clientWidth * 2, behavior: 'instant'})")
    expect(customer.locator("#v3")).to_be_in_viewport()
    customer_screens.shot(customer, "swiped")

    # 3. Chooses the third picture with a comment; the answer survives a reload; then changes it to the second.
    customer.locator("#comment").fill(COMMENT)
    customer.locator("#name").fill("Ольга")
    customer.locator("#phone").fill("+7 911 000-11-22")
    customer.locator("#v3 button").click()
    expect(customer.locator("#chosen")).to_contain_text("Вы выбрали вариант 3")
    expect(customer.locator("#v3")).to_have_class(re.compile("chosen"))
    customer.reload()
    expect(customer.locator("#chosen")).to_contain_text("Вы выбрали вариант 3")
    expect(customer.locator("#comment")).to_have_value(COMMENT)
    expect(customer.locator("#name")).to_have_value("")  # never shown back: only the chef sees it
    customer_screens.shot(customer, "chosen")
    customer.locator(".dots a", has_text="2").click()
    customer.locator("#v2 button").click()
    expect(customer.locator("#chosen")).to_contain_text("Вы выбрали вариант 2")
    expect(customer.locator("#comment")).to_have_value(COMMENT)
    customer_screens.shot(customer, "changed")

    # 4. The chef: the badge on «Мои дизайны», the answer with name and phone, then «Согласовать выбор».
    badge = chef.get_by_role("tab", name=re.compile("новых ответов: 1"))
    expect(badge).to_be_visible(timeout=40_000)
    chef_screens.shot(chef, "badge")
    badge.click()
    expect(chef.locator("#sel-list")).to_contain_text("Заказчик выбрал вариант 2")
    expect(chef.locator("#sel-list")).to_contain_text(COMMENT)
    expect(chef.locator("#sel-list [data-new]")).to_have_count(1)
    expect(chef.locator("#sel-detail")).to_contain_text("Ольга · +7 911 000-11-22")
    expect(chef.get_by_role("tab", name="Мои дизайны", exact=True)).to_be_visible()  # seen: the badge is gone
    chef_screens.shot(chef, "answer")
    chef.locator("#sel-agree").click()
    toast(chef, "Выбор согласован")
    expect(chef.locator("#sel-list")).to_contain_text("согласовано")
    expect(chef.locator("#sel-agree")).to_be_hidden()
    chef_screens.shot(chef, "agreed")
    # The same answer on the chef's phone.
    phone_context, chef_phone = new_page(browser, "phone")
    sign_in(chef_phone, app, email, password)
    open_tab(chef_phone, "Мои дизайны")
    expect(chef_phone.locator("#sel-list")).to_contain_text("Заказчик выбрал вариант 2")
    expect(chef_phone.locator("#sel-detail img")).to_be_visible()
    Screens("selection-phone-chef", allowed=(TITLE, NOTE, COMMENT)).shot(chef_phone, "answer")
    phone_context.close()

    # 5. The customer's page now shows the agreed design and the card; a late change is refused in Russian.
    customer.reload()
    expect(customer.locator("#agreed")).to_contain_text("Согласовано")
    expect(customer.locator("#agreed")).to_contain_text("вариант 2")
    expect(customer.locator(".option")).to_have_count(0)
    customer_screens.shot(customer, "agreed")
    with customer.expect_download() as download:
        customer.locator("#card").click()
    path = download.value.path()
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
                    .split())
    assert re.search(r"Согласовано \d\d\.\d\d\.\d{4}", text), text
    assert "Кондитерская Марины" in text and "Торт с пионами" in text
    with app.services.session_factory() as session:
        selection = session.query(Selection).filter_by(title=TITLE).one()
        assert (selection.customer_name, selection.comment, selection.agreed_at is not None) == \
            ("Ольга", COMMENT, True)
    chef_context.close()
    customer_context.close()


HOSTILE = ['<img src=x onerror="window.__pwned=1">', '"><svg/onload="window.__pwned=2">',
           "</textarea><script>window.__pwned=3</script>", '<a href="javascript:window.__pwned=4">жми</a>']
PWNED_JS = """() => ({pwned: window.__pwned ?? null,
  foreign: document.querySelectorAll('img[src="x"], svg[onload], a[href^="javascript:"], iframe').length,
  scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length})"""


def test_hostile_values_never_run_on_either_page(browser, live_app):  # noqa: F811
    """HTML and script in the chef's profile, the title and note, the customer's comment and name: text on the
    customer's page and in «Мои дизайны», never markup (nothing runs, no element appears)."""
    app, email, password = live_app, "hostile-chef@example.com", "hostile-password-1"
    ids = chef_with_designs(app, email, password, name=HOSTILE[0][:80], contact=HOSTILE[1])
    token = app.token(email, password)
    import httpx

    created = httpx.post(f"{app.url}/api/selections", headers={"Authorization": f"Bearer {token}"},
                         json={"title": HOSTILE[1], "note": " ".join(HOSTILE), "generation_ids": ids[:2]})
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    dialogs = []

    context, customer = new_page(browser, "phone")
    customer.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    customer.goto(url)
    expect(customer.locator("h1")).to_have_text(HOSTILE[1])
    expect(customer.locator(".chef-name")).to_have_text(HOSTILE[0][:80])
    assert customer.evaluate(PWNED_JS) == {"pwned": None, "foreign": 0, "scripts": 0}
    assert customer.locator('meta[property="og:title"]').get_attribute("content") == HOSTILE[1]
    customer.locator("#comment").fill(" ".join(HOSTILE))
    customer.locator("#name").fill(HOSTILE[2][:80])
    customer.locator("#v1 button").click()
    expect(customer.locator("#chosen")).to_be_visible()
    expect(customer.locator("#comment")).to_have_value(" ".join(HOSTILE))
    assert customer.evaluate(PWNED_JS) == {"pwned": None, "foreign": 0, "scripts": 0}
    Screens("selection-phone-hostile").shot(customer, "customer", russian=False)
    context.close()

    context, chef = new_page(browser, "desktop")
    chef.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(chef, app, email, password)
    chef.get_by_role("tab", name=re.compile("Мои дизайны")).click()
    expect(chef.locator("#sel-list")).to_contain_text("Заказчик выбрал вариант 1")
    expect(chef.locator("#sel-list")).to_contain_text(HOSTILE[1])
    expect(chef.locator("#sel-detail")).to_contain_text(HOSTILE[2][:80])
    assert chef.evaluate(PWNED_JS) == {"pwned": None, "foreign": 0, "scripts": 0}
    Screens("selection-desktop-hostile").shot(chef, "chef", russian=False)
    context.close()
    assert dialogs == []
