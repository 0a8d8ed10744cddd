"""The two ways a letter leaves: an SMTP server (smtplib, STARTTLS or SSL) or a `.eml` file in the outbox."""
from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
import time
from pathlib import Path

from tortodelova.config import Settings
from tortodelova.mail.letter import Letter

logger = logging.getLogger(__name__)


class SMTPBackend:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, letter: Letter) -> None:
        s = self.settings
        context = ssl.create_default_context()
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_starttls and not s.smtp_ssl:
                client.starttls(context=context)
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
            client.send_message(letter.message(s.mail_from))
        logger.info("mail «%s» sent to %s via %s:%s", letter.subject, letter.to, s.smtp_host, s.smtp_port)


class OutboxBackend:
    """One `.eml` file per letter under DATA_DIR/outbox/ (0600: the links in it are one-time passwords)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.folder = Path(settings.outbox_dir)

    def send(self, letter: Letter) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}.eml"
        path = self.folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(letter.message(self.settings.mail_from)))
        logger.info("mail «%s» to %s written to %s; link: %s", letter.subject, letter.to, path, letter.link)
        return path


class Mailer:
    """SMTP when SMTP_HOST is set, else the outbox. Errors propagate: the caller (a job) retries and logs."""

    def __init__(self, settings: Settings):
        self.backend = SMTPBackend(settings) if settings.smtp_host else OutboxBackend(settings)

    def send(self, letter: Letter) -> None:
        self.backend.send(letter)


def post(letter: Letter, *, settings: Settings, queue=None) -> None:
    """Send a letter without making the request wait for a mail server: with SMTP, a Huey job sends it (retried,
    logged on failure); in the embedded mode it is written to the outbox right here. Never raises: the person
    sees the same answer whether or not the letter could leave (no account enumeration by errors)."""
    enqueue = getattr(queue, "enqueue_mail", None)
    try:
        if settings.smtp_host and enqueue is not None:
            enqueue(letter)
        else:
            Mailer(settings).send(letter)
    except Exception:  # noqa: BLE001 - logged with its traceback; the answer to the person stays the same
        logger.exception("could not send or queue mail «%s» to %s", letter.subject, letter.to)
