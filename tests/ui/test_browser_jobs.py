"""Jobs live in the database, so the UI finds them again: a reload during a running job shows it with its progress,
a second tab sees it too, and when it fails the page says why and that the credits came back. The prompt is hostile
(an XSS corpus): it stays text in the progress and the job list.

The running job is held still by a queue that parks it (nothing consumes it) and by writing its progress as the worker
would; everything else (service, database, UI, browser) is the real thing.
"""
from __future__ import annotations

from playwright.sync_api import expect  # noqa: E402  (after the Chromium skip in browser.py)
from sqlalchemy import update

from tests.ui.browser import Screens, new_page, signed_in
from tortodelova.accounts import service as accounts
from tortodelova.billing import service as billing
from tortodelova.db import utcnow
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import Generation
from tortodelova.generation.schemas import parse_request

HOSTILE = 'Торт <img src=x onerror="window.__xss=1"> и <b class="xss">розы</b>'
INJECTED = """() => !window.__xss && !document.querySelector('img[src="x"], b.xss, [onerror]')"""
CORPUS = (HOSTILE, '<b class="xss">', "img", "src", "onerror", "window", "xss", "class")


class ParkedQueue:
    """A queue that accepts jobs and never runs them: the job stays where the test puts it."""

    def __init__(self, real):
        self.real = real

    def enqueue_generation(self, generation_id: str) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_jobs_survive_a_reload_and_a_second_tab(browser, fresh_app):
    app = fresh_app()
    app.user("baker@example.com", "baker-password-1", credits=100)
    with app.services.session_factory() as session:
        user = accounts.get_by_email(session=session, email="baker@example.com")
        generation = generation_service.submit(
            session=session, settings=app.settings, queue=ParkedQueue(app.services.queue), user=user,
            request=parse_request({"prompt": HOSTILE, "variants": 2}))
        job_id, cost = generation.id, generation.cost
        now = utcnow()
        session.execute(update(Generation).where(Generation.id == job_id).values(
            status="running", progress=0.42, started_at=now, heartbeat_at=now, worker="test"))
        session.commit()

    screens = Screens("desktop-jobs", allowed=CORPUS)
    context, page = new_page(browser, "desktop")
    page.goto(app.url)
    page.locator("#header-login").click()
    page.locator("#login-email input").fill("baker@example.com")
    page.locator("#login-password input").fill("baker-password-1")
    page.locator("#login-submit").click()
    signed_in(page)
    expect(page.locator("#header-user")).to_contain_text(f"{130 - cost} кредит")

    # 1. Reload: the running job is back with its progress, in the status and in the job list.
    page.reload()
    signed_in(page)
    status = page.locator(f'#create-status .td-progress[data-id="{job_id}"]')
    expect(status).to_have_attribute("data-status", "running")
    expect(status).to_contain_text("42%")
    expect(page.locator(f'#create-jobs .td-job[data-id="{job_id}"]')).to_contain_text("рисуем 42%")
    expect(page.locator("#create-cancel")).to_be_visible()
    expect(page.locator("#create-prompt textarea")).to_have_value(HOSTILE)  # what is being drawn, back in the form
    expect(page.locator("#create-more")).to_be_hidden()  # no design in view yet to vary
    assert page.evaluate(INJECTED), "an element or attribute from the prompt is in the DOM"
    screens.shot(page, "reloaded-running")

    # 2. A second tab of the same browser sees it too, and follows its progress live.
    second = context.new_page()
    second.goto(app.url)
    signed_in(second)
    expect(second.locator(f'#create-status .td-progress[data-id="{job_id}"]')).to_contain_text("42%")
    with app.services.session_factory() as session:
        session.execute(update(Generation).where(Generation.id == job_id).values(progress=0.66, heartbeat_at=utcnow()))
        session.commit()
    expect(second.locator("#create-status .td-progress")).to_contain_text("66%")
    expect(page.locator("#create-status .td-progress")).to_contain_text("66%")
    screens.shot(second, "second-tab")

    # 3. The worker fails: both tabs say why and that the credits came back; the balance is whole again.
    with app.services.session_factory() as session:
        generation_service.finish_failed(session=session, generation_id=job_id, error="Сбой воркера при генерации")
        assert billing.balance_of(session=session, user_id=user.id) == 130
    for tab in (page, second):
        expect(tab.locator("#create-status .td-progress")).to_have_attribute("data-status", "failed")
        expect(tab.locator("#create-status")).to_contain_text("Сбой воркера при генерации")
        expect(tab.locator("#create-status")).to_contain_text("кредиты возвращены")
        expect(tab.locator("#header-user")).to_contain_text("130 кредитов")
    expect(page.locator(f'#create-jobs .td-job[data-id="{job_id}"]')).to_have_attribute("data-status", "failed")
    screens.shot(page, "failed-refunded")

    # 4. After another reload the failed job is still listed with its reason (not lost).
    page.reload()
    signed_in(page)
    expect(page.locator(f'#create-jobs .td-job[data-id="{job_id}"]')).to_contain_text("кредиты возвращены")
    assert page.evaluate(INJECTED)
    screens.shot(page, "failed-after-reload")
    context.close()
