"""«Мои термины» in «Профиль»: a chef's own terms as plain text, one a line «по-русски = по-английски».
The rules are the service's (terms/service.py); here only the text is split into lines and joined back."""
from __future__ import annotations

import gradio as gr

from tortodelova.container import Services
from tortodelova.errors import InvalidInput
from tortodelova.terms import service as terms
from tortodelova.ui import account
from tortodelova.ui.common import Ctx, bind, notify

SEPARATOR = "="


def format_terms(items: list[dict]) -> str:
    return "\n".join(f"{item['ru']} {SEPARATOR} {item['en']}" for item in items)


def parse_terms(text) -> list[dict]:
    """Lines «по-русски = по-английски» (blank lines skipped) → [{"ru", "en"}]; the service checks the rest."""
    if not isinstance(text, str):
        raise InvalidInput("Мои термины: нужен текст")
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if SEPARATOR not in line:
            raise InvalidInput(f"Строка {number} («{line.strip()[:40]}»): нужен знак «=» между русской фразой и "
                               "английским описанием")
        ru, en = line.split(SEPARATOR, 1)
        items.append({"ru": ru, "en": en})
    return items


def note(items: list[dict]) -> str:
    if not items:
        return "Терминов пока нет."
    return f"Сохранено терминов: **{len(items)}** из {terms.MAX_TERMS}."


def open_terms(ctx: Ctx, *, header: account.Header):
    items = terms.get_terms(session=ctx.session, user_id=ctx.user.id)
    return {header.terms_text: format_terms(items), header.terms_note: note(items)}


def save_terms(ctx: Ctx, text, *, header: account.Header):
    items = parse_terms(text)
    saved = terms.replace_terms(session=ctx.session, user_id=ctx.user.id, items=items)
    notify(f"Мои термины сохранены: {len(saved)}. Они уже действуют в ваших описаниях." if saved
           else "Список моих терминов пуст: описания переводятся по общему глоссарию.")
    return {header.terms_text: format_terms(saved), header.terms_note: note(saved)}


def wire(header: account.Header, services: Services, token: gr.BrowserState) -> None:
    outputs = [header.terms_text, header.terms_note]
    header.profile_btn.click(bind(open_terms, services, header=header), [token], outputs, api_name="terms_open",
                             show_progress="hidden")
    header.terms_save_btn.click(bind(save_terms, services, header=header), [token, header.terms_text], outputs,
                                api_name="terms_save", show_progress="hidden")
