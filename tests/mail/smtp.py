"""A real SMTP server for the tests: aiosmtpd on a free loopback port, keeping every letter it receives."""
from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.helpers import free_port

LINK_RE = re.compile(r"https?://\S+?token=[A-Za-z0-9_-]+")


class Inbox:
    """aiosmtpd handler: every delivered message, parsed."""

    def __init__(self):
        self.letters: list[EmailMessage] = []
        self.envelopes: list = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.arrived:
            self.letters.append(message)
            self.envelopes.append(envelope)
            self.arrived.notify_all()
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.letters) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} letters, got {len(self.letters)}")
                self.arrived.wait(left)
            return list(self.letters)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.letters if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_of(message: EmailMessage) -> str:
    found = LINK_RE.search(text_of(message))
    assert found, text_of(message)
    return found.group(0)


def token_of(message: EmailMessage) -> str:
    return link_of(message).split("token=", 1)[1]


class SMTPServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def settings(self) -> dict:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "mail_from": "Тортоделова <noreply@torto.test>",
                "public_url": "http://torto.test"}


def deliver(services) -> int:
    """Run the queued mail jobs now, through Huey's own execute (retries and all); other jobs stay queued."""
    huey = services.queue.tasks.huey
    others, sent = [], 0
    while (task := huey.dequeue()) is not None:
        if task.name.endswith("send_mail"):
            huey.execute(task)
            sent += 1
        else:
            others.append(task)
    for task in others:
        huey.enqueue(task)
    return sent
