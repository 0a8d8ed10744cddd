"""«Для заказчика» in Chromium, as a baker would use it: pick the finished design, type the inscription and see it
in the preview, apply it (free), save the name and contact, download the customer card, and send a customer's
photo for variations. Real service, worker on the tiny models, SQLite, local store."""
from __future__ import annotations

import io
import subprocess

from PIL import Image
from playwright.sync_api import expect  # noqa: E402  (after the Chromium skip in tests/ui/browser.py)

from tests.helpers import wait_until
from tests.ui.browser import Screens, new_page, open_tab, signed_in, toast
from tests.ui.conftest import browser, fresh_app  # noqa: F401 - fixtures
from tortodelova.accounts import service as accounts
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import Generation
from tortodelova.generation.schemas import parse_request

PROMPT = "Свадебный торт с пионами"


def finished_design(app, email: str) -> str:
    with app.services.session_factory() as session:
        user = accounts.get_by_email(session=session, email=email)
        generation_id = generation_service.submit(
            session=session, settings=app.settings, queue=app.services.queue, user=user,
            request=parse_request({"prompt": PROMPT, "quality": "fast"})).id
    def final_status():
        with app.services.session_factory() as session:
            status = session.get(Generation, generation_id).status
        return status if status in ("succeeded", "failed", "cancelled") else None

    assert wait_until(final_status, timeout=180, interval=0.2, message="the design did not finish") == "succeeded"
    return generation_id


def auth_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "tortodelova_token"), None)


def upload_status(page) -> int:
    """What /gradio_api/upload answers this browser (its cookies go with the request)."""
    return page.evaluate("""async () => {
        const form = new FormData();
        form.append("files", new Blob([new Uint8Array([137, 80, 78, 71])], {type: "image/png"}), "x.png");
        return (await fetch("/gradio_api/upload", {method: "POST", body: form, credentials: "same-origin"})).status;
    }""")


def photo_file(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (400, 300), (200, 90, 120)).save(path, format="JPEG")
    return path


def test_baker_letters_a_design_downloads_the_card_and_sends_a_photo(browser, fresh_app, tmp_path):  # noqa: F811
    app = fresh_app()
    email, password = "baker@example.com", "baker-password-1"
    app.user(email, password, credits=100)
    generation_id = finished_design(app, email)

    # Gradio writes a file's size as "367.5 KB"; "pdf" is the file type, like the PNG/JPEG the checks allow.
    screens = Screens("desktop-baker", allowed=(PROMPT, "KB", "pdf"))
    context, page = new_page(browser, "desktop")
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill(email)
    page.locator("#login-password input").fill(password)
    page.locator("#login-submit").click()
    signed_in(page)

    open_tab(page, "Для заказчика")
    expect(page.locator("#baker-design input")).to_have_value(__import__("re").compile("Свадебный торт"))
    expect(page.locator("#lettering-preview img")).to_be_visible()
    before = page.locator("#lettering-preview img").get_attribute("src")

    # 1. Live preview: typing changes the picture; nothing is saved yet.
    page.locator("#lettering-text textarea, #lettering-text input").first.fill("Анна и Иван")
    expect(page.locator("#lettering-preview img")).not_to_have_attribute("src", before, timeout=30_000)
    with app.services.session_factory() as session:
        assert session.get(Generation, generation_id).inscription is None
    screens.shot(page, "lettering-preview")

    # 2. Apply: every picture lettered, free of charge.
    with app.services.session_factory() as session:
        balance = accounts.get_by_email(session=session, email=email).balance
    page.locator("#lettering-apply").click()
    toast(page, "Надпись обновлена")
    with app.services.session_factory() as session:
        generation = session.get(Generation, generation_id)
        assert generation.inscription == "Анна и Иван"
        assert accounts.get_by_email(session=session, email=email).balance == balance

    # 3. The baker's name and contact, then the card that prints them.
    page.locator("#profile-name textarea, #profile-name input").first.fill("Кондитерская Марины")
    page.locator("#profile-contact textarea, #profile-contact input").first.fill("+7 900 123-45-67")
    page.locator("#profile-save").click()
    toast(page, "Профиль сохранён")
    page.locator("#card-pdf").click()
    toast(page, "Карточка готова")
    link = page.locator("#card-file a").first
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    text = subprocess.run(["pdftotext", download.value.path(), "-"], capture_output=True, check=True).stdout.decode()
    assert "Кондитерская Марины" in text and PROMPT in text and "Анна и Иван" in text
    screens.shot(page, "card")

    # 4. A customer's photo: variations queued (charged like any generation).
    # The edge lets only signed-in browsers upload to Gradio, by the auth cookie: the UI's own sign-in set it.
    assert auth_cookie(context) is not None
    with page.expect_file_chooser() as chooser:
        page.locator("#reference-photo button.upload-container").click()
    chooser.value.set_files(str(photo_file(tmp_path)))
    expect(page.locator("#reference-photo img")).to_be_visible(timeout=30_000)  # uploaded
    page.locator("#reference-prompt textarea").fill("Такой же торт, но с ягодами")
    page.locator("#reference-create").click()
    expect(page.locator("#reference-status")).to_contain_text("Задание принято", timeout=60_000)
    with app.services.session_factory() as session:
        variation = session.query(Generation).filter(Generation.init_upload_id.isnot(None)).one()
        assert variation.prompt_ru == "Такой же торт, но с ягодами" and variation.cost > 0
    screens.shot(page, "reference")

    # 5. A reload restores the session and keeps the cookie; signing out drops it, and uploads are refused again.
    context.clear_cookies()
    page.reload()
    signed_in(page)
    page.wait_for_function("() => document.cookie.includes('tortodelova_token=')")
    assert auth_cookie(context) is not None
    page.locator("#header-logout").click()
    signed_in(page, False)
    page.wait_for_function("() => !document.cookie.includes('tortodelova_token=')")
    assert auth_cookie(context) is None
    assert upload_status(page) == 401
    context.close()
    assert Image.open(io.BytesIO(app.services.store.get(generation.image_keys[0]))).size == (512, 512)
