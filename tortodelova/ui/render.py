"""HTML fragments and gallery values built from the public generation dict (`generation.service.to_public`).

Images are always referenced by their short-lived signed links, never by a storage path; the running job's step
preview is inlined as a data URI so it never lands in Gradio's file cache.
"""
from __future__ import annotations

import base64

from tortodelova.billing.pricing import QUALITIES, SIZES
from tortodelova.pipeline.prompts import STYLES
from tortodelova.ui.common import esc, fmt_date, plural_credits


def gallery_items(public: dict, base: str) -> list[tuple[str, str]]:
    return [(f"{base}{image['signed_url']}", f"Вариант {image['index'] + 1} · seed {image['seed']}")
            for image in public["images"]]


def downloads_html(public: dict, base: str) -> str:
    links = "".join(
        f'<a class="td-dl" href="{esc(base + image["signed_url"])}&amp;download=1" download '
        f'data-testid="download-{image["index"]}">Скачать вариант {image["index"] + 1}</a>'
        for image in public["images"]
    )
    return f'<div class="td-downloads">{links}</div>' if links else ""


def progress_html(public: dict, preview_png: bytes | None = None) -> str:
    status = public["status"]
    if status == "queued":
        position = public.get("queue_position")
        line = f"В очереди · перед вами {position - 1}" if position and position > 1 else "В очереди · вы следующий"
    elif status == "running":
        line = f"Рисуем… {round(public['progress'] * 100)}%"
    elif status == "succeeded":
        line = "Готово!"
    else:
        line = f"{public['status_title']}: {public.get('error') or ''}"
    percent = 100 if status == "succeeded" else round(public["progress"] * 100)
    preview = ""
    if preview_png and status == "running":
        data = base64.b64encode(preview_png).decode()
        preview = f'<img class="td-preview" alt="Промежуточный шаг" src="data:image/png;base64,{data}">'
    css = "td-progress td-" + status
    return (f'<div class="{css}" data-status="{esc(status)}"><div class="td-status-line">{esc(line)}</div>'
            f'<div class="td-bar"><div style="width:{percent}%"></div></div>{preview}</div>')


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="td-note td-{esc(kind)}">{esc(text)}</div>'


def details_markdown(public: dict) -> str:
    style = STYLES.get(public["style"])
    size = SIZES.get(public["size"])
    lines = [
        f"**Описание:** {esc(public['prompt_ru'])}",
        f"**По-английски:** {esc(public['prompt_en'] or '—')}",
        f"**Стиль:** {esc(style.title if style else public['style'])} · "
        f"**Размер:** {esc(size.title if size else public['size'])} · "
        f"**Качество:** {esc(QUALITIES.get(public['quality'], public['quality']))}",
        f"**Seed:** {', '.join(str(s) for s in public.get('seeds') or [])} · "
        f"**Стоимость:** {plural_credits(public['cost'])}",
        f"**Создан:** {fmt_date(public['created_at'])} · **Статус:** {esc(public['status_title'])}",
    ]
    return "\n\n".join(lines)


def highlighted_translation(prompt_en: str, terms: list[dict]) -> list[tuple[str, str | None]]:
    """The English prompt split so that each glossary term is labelled with the Russian word it came from."""
    spans: list[tuple[int, int, str]] = []
    lower = prompt_en.lower()
    for term in terms:
        en = (term.get("en") or "").lower()
        if not en:
            continue
        start = lower.find(en)
        while start != -1:
            end = start + len(en)
            if all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, term.get("ru") or "термин"))
            start = lower.find(en, end)
    spans.sort()
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for start, end, label in spans:
        if start > cursor:
            pieces.append((prompt_en[cursor:start], None))
        pieces.append((prompt_en[start:end], label))
        cursor = end
    if cursor < len(prompt_en):
        pieces.append((prompt_en[cursor:], None))
    return pieces


def header_html(user) -> str:
    if user is None:
        return '<div class="td-header-user" data-signed-in="0">Вы не вошли</div>'
    admin = ' <span class="td-badge">админ</span>' if user.role == "admin" else ""
    return (f'<div class="td-header-user" data-signed-in="1"><span class="td-email">{esc(user.email)}</span>{admin}'
            f' · <span class="td-balance" data-balance="{user.balance}">{plural_credits(user.balance)}</span></div>')
