"""A letter: plain text and HTML, both in Russian, with the one link it is about."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    text: str
    html: str
    link: str | None = None  # logged by the outbox backend, so a shop without mail can still follow it

    def to_dict(self) -> dict:
        """What travels through the queue: plain strings only."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Letter":
        return cls(**data)

    def message(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or "tortodelova.local")
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


def compose(*, to: str, subject: str, paragraphs: list[str], link: str | None = None, button: str | None = None,
            after: list[str] | None = None) -> Letter:
    """A letter from paragraphs, an optional link (a button in HTML, the bare URL in text) and closing lines."""
    after = after or []
    text_parts = ["Здравствуйте!", *paragraphs]
    if link:
        text_parts.append(link)
    text_parts += [*after, "— Тортоделова"]
    html_parts = ["<p>Здравствуйте!</p>", *(f"<p>{escape(p)}</p>" for p in paragraphs)]
    if link:
        html_parts.append(
            f'<p><a href="{escape(link, quote=True)}" style="display:inline-block;padding:10px 18px;'
            f'background:#e11d48;color:#fff;border-radius:8px;text-decoration:none">{escape(button or link)}</a></p>'
            f'<p style="color:#666;font-size:13px">Если кнопка не открывается, скопируйте ссылку: '
            f'{escape(link)}</p>')
    html_parts += [*(f"<p>{escape(p)}</p>" for p in after), "<p>— Тортоделова</p>"]
    html = ('<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>' + escape(subject) +
            '</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5">' + "".join(html_parts) +
            "</body></html>")
    return Letter(to=to, subject=subject, text="\n\n".join(text_parts) + "\n", html=html, link=link)
