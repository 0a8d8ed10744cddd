"""The reset and deletion flows in Chromium at 1280×800 and 390×844, mistakes included: an unknown address, a
double click, a superseded, a used and an expired link, mismatched passwords, a reload on the reset page, a wrong
password for the deletion. The letters are read from the outbox, as a shop without a mail server would."""
from __future__ import annotations

import shutil
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from tests.mail.smtp import link_of
from tests.ui.browser import VIEWPORTS, Screens, new_page, signed_in, toast
from tests.ui.conftest import browser, run_live_app  # noqa: F401 - the Chromium fixture
from tortodelova.accounts import recovery
from tortodelova.accounts.models import AccountToken
from tortodelova.db import utcnow

KEEP = Path("/work/wt/screens/i21")  # screenshots worth keeping for the issue note, outside the repo


@pytest.fixture
def app(tmp_path):
    (tmp_path / "no-models").mkdir()
    with run_live_app(tmp_path / "data", tmp_path / "no-models") as live:  # no generation here: no models
        yield live


def letters_to(app, email: str) -> list:
    found = []
    for path in sorted(app.settings.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == email:
            found.append(message)
    return found


def wait_letters(page, app, email: str, count: int) -> list:
    for _ in range(100):
        found = letters_to(app, email)
        if len(found) >= count:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"{count} letters to {email} expected, {len(letters_to(app, email))} written")


def keep(path: Path, viewport: str) -> None:
    if viewport == "phone" and KEEP.parent.exists():
        KEEP.mkdir(exist_ok=True)
        shutil.copy(path, KEEP / path.name)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_password_reset_flow_with_mistakes(browser, app, viewport):  # noqa: F811
    olga = f"olga-{viewport}@example.com"  # the letter counters of this process are per address
    app.user(olga, "old-password-1")
    screens = Screens(f"{viewport}-reset", allowed=(olga, "nobody@example.com"))
    context, page = new_page(browser, viewport)
    page.goto(app.url)

    # 1. «Забыли пароль?» with an unknown address: the same calm answer as for a real one.
    page.locator("#header-login").click()
    page.locator("#login-email input").fill("nobody@example.com")
    page.locator("#login-forgot").click()
    expect(page.locator("#reset-email input")).to_have_value("nobody@example.com")
    page.locator("#reset-send").click()
    expect(page.locator("#reset-note")).to_contain_text("Если такой адрес зарегистрирован")
    keep(screens.shot(page, "unknown-address"), viewport)
    assert letters_to(app, "nobody@example.com") == []

    # 2. The real address, double-clicked (one letter or two, never an error), then asked again: only the newest
    #    link works.
    page.locator("#reset-email input").fill(olga)
    page.locator("#reset-send").dblclick()
    expect(page.locator("#reset-note")).to_contain_text("Если такой адрес зарегистрирован")
    first = wait_letters(page, app, olga, 1)
    page.locator("#reset-send").click()
    letters = wait_letters(page, app, olga, len(first) + 1)
    older, newer = link_of(letters[0]), link_of(letters[-1])
    assert newer.startswith(app.url + "/reset?token=")
    page.goto(older)
    expect(page.locator("#page-error")).to_contain_text("заменила более новая")
    keep(screens.shot(page, "superseded-link"), viewport)

    # 3. The new link: mismatched passwords, then the right ones; a reload of the result; the link again.
    page.goto(newer)
    page.reload()  # opening the link twice uses nothing up
    page.locator("#password").fill("new-password-2")
    page.locator("#password2").fill("new-password-3")
    page.locator("#reset-submit").click()
    expect(page.locator("#page-error")).to_contain_text("Пароли не совпадают")
    keep(screens.shot(page, "mismatch"), viewport)
    page.locator("#password").fill("new-password-2")
    page.locator("#password2").fill("new-password-2")
    page.locator("#reset-submit").click()
    expect(page.locator("#page-ok")).to_contain_text("Новый пароль сохранён")
    page.reload()
    expect(page.locator("#page-ok")).to_contain_text("Новый пароль сохранён")
    keep(screens.shot(page, "done"), viewport)
    page.goto(newer)
    expect(page.locator("#page-error")).to_contain_text(recovery.USED)
    keep(screens.shot(page, "used-link"), viewport)

    # 4. An expired link names the cause and offers a new one.
    page.goto(app.url + "/reset")
    page.locator("#email").fill(olga)
    page.locator("#reset-request-submit").click()
    expect(page.locator("#page-ok")).to_contain_text("Если такой адрес зарегистрирован")
    with app.services.session_factory() as session:
        session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    page.goto(link_of(letters_to(app, olga)[-1]))
    expect(page.locator("#page-error")).to_contain_text("Срок действия ссылки истёк")
    keep(screens.shot(page, "expired-link"), viewport)

    # 5. A wrong confirmation link says so in Russian.
    page.goto(app.url + "/confirm-email?token=wrong-confirmation-token")
    page.locator("#confirm-submit").click()
    expect(page.locator("#page-error")).to_contain_text("Ссылка подтверждения недействительна")

    # 6. The new password signs in.
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(olga)
    page.locator("#login-password input").fill("new-password-2")
    page.locator("#login-submit").click()
    signed_in(page)
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_account_deletion_flow_with_mistakes(browser, app, viewport, tmp_path):  # noqa: F811
    app.user("anna@example.com", "anna-password-1")
    screens = Screens(f"{viewport}-delete", allowed=("anna@example.com", "ZIP"))
    context, page = new_page(browser, viewport)
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill("anna@example.com")
    page.locator("#login-password input").fill("anna-password-1")
    page.locator("#login-submit").click()
    signed_in(page)

    # 1. «Профиль»: the address status, the export link, «Выйти на всех устройствах».
    page.locator("#header-profile").click()
    expect(page.locator("#profile-email-status")).to_contain_text("не подтверждён")
    with page.expect_download() as download:
        page.locator("#profile-export").click()
    assert download.value.suggested_filename == "tortodelova-designs.zip"
    keep(screens.shot(page, "profile"), viewport)
    page.locator("#profile-logout-all").click()
    toast(page, "Вы вышли на всех устройствах")
    signed_in(page, False)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill("anna@example.com")
    page.locator("#login-password input").fill("anna-password-1")
    page.locator("#login-submit").click()
    signed_in(page)

    # 2. «Удалить аккаунт»: a wrong password first, then the right one.
    page.locator("#header-profile").click()
    page.locator("#profile-delete-section").get_by_text("Удалить аккаунт", exact=True).click()
    page.locator("#profile-delete-password input").fill("wrong-password")
    page.locator("#profile-delete").click()
    toast(page, "Неверный пароль: аккаунт не удалён")
    expect(page.locator("#profile-delete-password input")).to_have_value("")
    signed_in(page)
    keep(screens.shot(page, "wrong-password"), viewport)
    page.locator("#profile-delete-password input").fill("anna-password-1")
    page.locator("#profile-delete").click()
    toast(page, "Аккаунт удалён")
    signed_in(page, False)
    keep(screens.shot(page, "deleted"), viewport)
    page.reload()
    signed_in(page, False)

    # 3. The old password opens nothing any more.
    page.locator("#header-login").click()
    page.locator("#login-email input").fill("anna@example.com")
    page.locator("#login-password input").fill("anna-password-1")
    page.locator("#login-submit").click()
    toast(page, "Неверная почта или пароль")
    signed_in(page, False)
    context.close()
