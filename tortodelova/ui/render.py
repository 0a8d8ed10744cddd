"""HTML fragments and gallery values built from the public generation dict (`ui.contract.view_of`).

Every user-provided value goes through `esc` (HTML) or `md` (Markdown). Images are always referenced by their
short-lived signed links, never by a storage path; the running job's step preview is inlined as a data URI so it
never lands in Gradio's file cache.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone

from tortodelova.billing.pricing import QUALITIES, SIZES
from tortodelova.pipeline import prompts
from tortodelova.pipeline.prompts import STYLES
from tortodelova.ui.common import esc, fmt_date, md, plural_credits

REFUNDED = "кредиты возвращены"


def gallery_items(public: dict, base: str) -> list[tuple[str, str]]:
    return [(f"{base}{image['signed_url']}", f"Вариант {image['index'] + 1} · зерно {image['seed']}")
            for image in public["images"]]


def downloads_html(public: dict, base: str) -> str:
    links = "".join(
        f'<a class="td-dl" href="{esc(base + image["signed_url"])}&amp;download=1" download '
        f'data-testid="download-{image["index"]}">Скачать вариант {image["index"] + 1}</a>'
        for image in public["images"]
    )
    return f'<div class="td-downloads">{links}</div>' if links else ""


def _eta(public: dict) -> str:
    started, progress = public.get("started_at"), float(public.get("progress") or 0)
    if not isinstance(started, datetime) or progress < 0.15:
        return ""
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    elapsed = (datetime.now(timezone.utc) - started).total_seconds()
    left = max(1, round(elapsed * (1 - progress) / progress))
    return f" · осталось ≈ {left} с" if left < 120 else f" · осталось ≈ {round(left / 60)} мин"


def status_line(public: dict) -> str:
    status, progress = public["status"], float(public.get("progress") or 0)
    if status == "queued":
        position = public.get("queue_position")
        return f"В очереди · перед вами {position - 1}" if position and position > 1 else "В очереди · вы следующий"
    if status == "running":
        if progress < 0.05:
            return "Шаг 1 из 3 · переводим описание"
        if progress < 0.9:
            return f"Шаг 2 из 3 · рисуем {round(progress * 100)}%{_eta(public)}"
        return "Шаг 3 из 3 · сохраняем изображения"
    if status == "succeeded":
        return "Готово!"
    if status == "cancelled":
        return f"Отменено — {REFUNDED}"
    error = (public.get("error") or "ошибка генерации").strip()
    return f"Не получилось: {error}" if "возвращ" in error.lower() else f"Не получилось: {error} — {REFUNDED}"


def progress_html(public: dict, preview_png: bytes | None = None) -> str:
    status = public["status"]
    progress = round(float(public.get("progress") or 0) * 100)
    percent = {"succeeded": 100, "failed": 0, "cancelled": 0}.get(status, progress)
    preview = ""
    if preview_png and status == "running":
        data = base64.b64encode(preview_png).decode()
        preview = f'<img class="td-preview" alt="Промежуточный шаг" src="data:image/png;base64,{data}">'
    return (f'<div class="td-progress td-{esc(status)}" data-status="{esc(status)}" data-id="{esc(public["id"])}">'
            f'<div class="td-status-line">{esc(status_line(public))}</div>'
            f'<div class="td-bar" role="progressbar" aria-label="Ход генерации" aria-valuenow="{percent}" '
            f'aria-valuemin="0" aria-valuemax="100"><div style="width:{percent}%"></div></div>{preview}</div>')


def check_html(public: dict) -> str:
    """What the model is asked for: the final English prompt with the style, the inscription, a truncation."""
    parts = []
    if public.get("inscription"):
        lettered = any(image.get("plain_url") for image in public.get("images") or [])
        note = "нанесена на дизайн буквами" if lettered else "будет нанесена на дизайн буквами"
        parts.append(f'<div class="td-inscription">Надпись «{esc(public["inscription"])}» {note}</div>')
    prompt_en = public.get("prompt_en")
    if prompt_en:
        parts.append(f'<div class="td-final"><b>Модель получит:</b> '
                     f'<span lang="en">{esc(final_prompt(prompt_en, public))}</span></div>')
    if public.get("negative_prompt_en"):
        parts.append(f'<div class="td-final"><b>Без:</b> <span lang="en">{esc(public["negative_prompt_en"])}</span>'
                     '</div>')
    if public.get("prompt_truncated"):
        parts.append('<div class="td-truncated">Описание длинное: модель учтёт только начало — сократите его, '
                     'чтобы важное не потерялось.</div>')
    return f'<div class="td-check">{"".join(parts)}</div>' if parts else ""


def final_prompt(prompt_en: str, public: dict) -> str:
    try:
        return prompts.build_prompt(prompt_en, style=public.get("style") or prompts.DEFAULT_STYLE,
                                    inscription=public.get("inscription")).prompt
    except Exception:  # an unknown style of an old design: show what was translated
        return prompt_en


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="td-note td-{esc(kind)}">{esc(text)}</div>'


def jobs_html(publics: list[dict]) -> str:
    """The user's unfinished and refused jobs, newest first; the running ones with their progress."""
    if not publics:
        return ""
    rows = "".join(
        f'<li class="td-job td-{esc(p["status"])}" data-status="{esc(p["status"])}" data-id="{esc(p["id"])}">'
        f'<span class="td-job-date">{esc(fmt_date(p.get("created_at")))}</span> '
        f'<span class="td-job-prompt">{esc((p.get("prompt_ru") or "")[:70])}</span>'
        f'<span class="td-job-status">{esc(status_line(p))}</span></li>'
        for p in publics
    )
    return f'<div class="td-jobs"><div class="td-jobs-title">Задания</div><ul>{rows}</ul></div>'


def details_markdown(public: dict) -> str:
    style = STYLES.get(public["style"])
    size = SIZES.get(public["size"])
    lines = [
        f"**Описание:** {md(public['prompt_ru'])}",
        f"**По-английски:** <span lang=\"en\">{md(public['prompt_en'] or '—')}</span>",
        f"**Стиль:** {md(style.title if style else public['style'])} · "
        f"**Размер:** {md(size.title if size else public['size'])} · "
        f"**Качество:** {md(QUALITIES.get(public['quality'], public['quality']))}",
        f"**Зерно:** {', '.join(str(s) for s in public.get('seeds') or [])} · "
        f"**Стоимость:** {plural_credits(public['cost'])}",
        f"**Создан:** {fmt_date(public['created_at'])} · **Статус:** {md(public['status_title'])}",
    ]
    if public.get("inscription"):
        lines.append(f"**Надпись:** «{md(public['inscription'])}» — нанесена на табличку")
    return "\n\n".join(lines)


def style_info(style_id) -> str:
    style = STYLES.get(style_id)
    return f"{style.title}: {style.description}" if style else ""


def style_choices() -> list[tuple[str, str]]:
    return [(s.title, s.id) for s in STYLES.values()]


def highlighted_translation(prompt_en: str, terms: list[dict]) -> list[tuple[str, str | None]]:
    """The English prompt split so that each glossary term is labelled with the Russian word it came from (the chef's
    own terms marked «мой термин»)."""
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
                label = term.get("ru") or "термин"
                spans.append((start, end, f"{label} · мой термин" if term.get("personal") else label))
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
