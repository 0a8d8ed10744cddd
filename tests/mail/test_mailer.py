"""The Mailer's two backends against real receivers: aiosmtpd over SMTP, and `.eml` files in the outbox; the
queue job that sends in production, retried when the server is down."""
from __future__ import annotations

import logging
from email import message_from_bytes, policy

from tests.mail.smtp import SMTPServer, html_of, text_of
from tortodelova.accounts import letters
from tortodelova.mail import Mailer, post

LINK = "http://torto.test/reset?token=abc123abc123"


def test_smtp_backend_delivers_russian_text_and_html(make_settings):
    with SMTPServer() as server:
        settings = make_settings(**server.settings())
        Mailer(settings).send(letters.password_reset(to="olga@mail.ru", link=LINK, minutes=30))
        [message] = server.inbox.wait(1)
    assert message["Subject"] == "Сброс пароля в Тортоделовой"
    assert message["To"] == "olga@mail.ru" and "noreply@torto.test" in message["From"]
    assert text_of(message).startswith("Здравствуйте!") and LINK in text_of(message)
    assert f'href="{LINK}"' in html_of(message) and "30 минут" in html_of(message)


def test_outbox_backend_writes_one_eml_per_letter_and_logs_the_link(make_settings, caplog):
    settings = make_settings()  # no SMTP_HOST: the embedded outbox
    caplog.set_level(logging.INFO, logger="tortodelova.mail.mailer")
    post(letters.confirm_address(to="olga@mail.ru", link=LINK, hours=72), settings=settings)
    post(letters.password_reset(to="olga@mail.ru", link=LINK, minutes=30), settings=settings)
    files = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(files) == 2
    assert files[0].stat().st_mode & 0o077 == 0  # the links are one-time passwords: owner only
    subjects = {message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files}
    assert subjects == {"Подтвердите адрес почты в Тортоделовой", "Сброс пароля в Тортоделовой"}
    assert caplog.text.count(LINK) == 2


def test_queued_mail_is_retried_while_the_server_is_down_then_delivered(make_settings, caplog):
    from jobs.tasks import HueyQueue, make_huey, register_tasks
    from tests.mail.smtp import deliver

    server = SMTPServer()
    settings = make_settings(**server.settings())
    tasks = register_tasks(make_huey(settings), settings)
    queue = HueyQueue(tasks)

    class Holder:  # what `deliver` reads: services.queue
        pass

    holder = Holder()
    holder.queue = queue
    post(letters.password_reset(to="olga@mail.ru", link=LINK, minutes=30), settings=settings, queue=queue)
    assert tasks.huey.pending_count() == 1  # the request only queued it
    caplog.set_level(logging.WARNING)
    assert deliver(holder) == 1  # server down: the job fails ...
    assert "not sent, Huey retries it" in caplog.text
    scheduled = tasks.huey.scheduled()
    assert len(scheduled) == 1 and scheduled[0].retries == 4  # ... and waits for its retry
    with server:
        retry = scheduled[0]
        tasks.huey.storage.flush_schedule()
        retry.eta = None  # the retry now, without waiting its minute
        tasks.huey.enqueue(retry)
        assert deliver(holder) == 1
        [message] = server.inbox.wait(1)
    assert message["Subject"] == "Сброс пароля в Тортоделовой"
