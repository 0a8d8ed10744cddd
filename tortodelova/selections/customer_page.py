"""The customer's page of a selection, `/c/{token}`: plain server-rendered HTML, phone first, no account, no script.

- The designs sit in a horizontal strip with CSS scroll snapping (swipe on a phone); each picture is an option with
  its own «Выбираю этот» button. The buttons submit one form (the comment, name and phone under the strip), so the
  choice works without JavaScript; `POST /c/{token}/choice` also takes JSON and answers `{"ok": true}`.
- A form post from another site is refused (Origin, else Referer, must be this site); answers and page views are
  rate-limited per client address with `limits` (the login throttle's limiter); bodies are bounded.
- Revoked, expired or unknown: 404 with a friendly page. `noindex` in a meta tag and in `X-Robots-Tag`.
- Every value a person typed (title, note, inscription, the chef's profile, the comment) is HTML-escaped; the
  customer's name and phone are never shown back here (only the chef sees them).
"""
from __future__ import annotations

import json
import logging
import math
import time
from html import escape
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tortodelova.config import Settings
from tortodelova.container import ServicesDep, SessionDep, client_ip
from tortodelova.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
)
from tortodelova.generation.image_response import image_response
from tortodelova.generation.schemas import parse_request
from tortodelova.selections import card as agreed_cards
from tortodelova.selections import service
from tortodelova.selections.models import COMMENT_MAX, NAME_MAX, PHONE_MAX, Selection
from tortodelova.selections.schemas import ChoiceRequest

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

CHOICE_MAX_BYTES = 16 * 1024
CROSS_SITE = "Ответ можно отправить только со страницы подборки"
TOO_MANY = "Слишком много запросов с вашего адреса. Попробуйте через {minutes} мин."
PRIVATE_HEADERS = {"X-Robots-Tag": "noindex, nofollow, noarchive", "Cache-Control": "no-store",
                   # Same-origin: the form post carries its Origin (no-referrer would make it «null»); other sites
                   # never see the link's token in a Referer.
                   "Referrer-Policy": "same-origin"}

STYLE = """
 * { box-sizing: border-box; }
 body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:#fbf7f4;
        color:#3b2f2f; font-size: 17px; line-height: 1.4; }
 main { max-width: 760px; margin: 0 auto; padding: 12px 14px 40px; }
 .brand { font-weight: 700; color:#c76f7c; font-size: 1rem; }
 .chef { margin: 6px 0 2px; color:#5c4a46; overflow-wrap: anywhere; }
 h1 { font-size: 1.35rem; margin: 6px 0 8px; overflow-wrap: anywhere; }
 .note { white-space: pre-line; overflow-wrap: anywhere; background:#fff; border-radius: 12px; padding: 10px 12px;
         margin: 0 0 12px; }
 .banner { border-radius: 12px; padding: 10px 12px; margin: 10px 0; background:#fff1e6; border:1px solid #f1c9a5; }
 .banner.ok { background:#eef8ee; border-color:#b6dcb6; }
 .banner.error { background:#fdecec; border-color:#f2b3b3; }
 .strip { display: flex; gap: 12px; overflow-x: auto; scroll-snap-type: x mandatory; padding: 4px 2px 10px;
          -webkit-overflow-scrolling: touch; scroll-padding: 0 2px; }
 .option { flex: 0 0 88%; max-width: 520px; scroll-snap-align: center; background:#fff; border-radius: 16px;
           padding: 8px; margin: 0; box-shadow: 0 3px 14px rgba(80,40,30,.12); border: 3px solid transparent; }
 .option.chosen { border-color:#c76f7c; }
 .option img { width: 100%; height: auto; border-radius: 12px; display: block; }
 .option figcaption { padding: 8px 4px 4px; overflow-wrap: anywhere; }
 .num { font-weight: 700; }
 .inscription { color:#5c4a46; }
 button, .button { display:block; width:100%; margin-top: 8px; padding: 14px 16px; font-size: 1.05rem;
          font-weight: 600; border-radius: 12px; border: 0; background:#c76f7c; color:#fff; text-align:center;
          text-decoration:none; cursor: pointer; }
 .option.chosen button { background:#7a4a52; }
 .secondary { background:#fff; color:#7a4a52; border: 2px solid #c76f7c; }
 .hint { color:#7a6a66; font-size: .9rem; margin: 0 0 6px; }
 .dots { display:flex; gap: 6px; flex-wrap: wrap; margin: 2px 0 12px; }
 .dots a { min-width: 34px; padding: 4px 8px; border-radius: 999px; background:#fff; color:#7a4a52;
           text-decoration:none; text-align:center; border:1px solid #e5cfd3; font-size: .9rem; }
 fieldset { border: 0; padding: 0; margin: 12px 0 0; }
 label { display:block; margin: 10px 0 4px; font-weight: 600; }
 textarea, input[type=text], input[type=tel] { width:100%; font: inherit; padding: 10px 12px; border-radius: 10px;
          border: 1px solid #dcc9c4; background:#fff; }
 textarea { min-height: 96px; }
 .small { color:#7a6a66; font-size: .85rem; }
 .agreed img { width: 100%; height: auto; border-radius: 14px; display:block; }
 footer { margin-top: 28px; color:#7a6a66; font-size: .85rem; }
"""

HEAD = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow, noarchive">
<title>{title}</title>
{og}
<style>{style}</style></head>
<body><main>
<header class="brand">Тортоделова</header>
"""

GONE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>Подборка недоступна — Тортоделова</title>
<style>{style}</style></head>
<body><main><header class="brand">Тортоделова</header>
<h1>{heading}</h1>
<p class="banner">{message}</p>
<p>Если вы ждали от кондитера варианты торта, попросите у него новую ссылку.</p>
<a class="button secondary" href="/">Что такое Тортоделова</a>
</main></body></html>"""


def _page_response(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS)


def gone_page(message: str = service.LINK_GONE, status: int = 404, heading: str = "Подборка недоступна"
              ) -> HTMLResponse:
    return _page_response(GONE.format(style=STYLE, message=escape(message), heading=escape(heading)), status)


def _base(request: Request, settings: Settings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


def image_path(token: str, generation_id: str, index: int) -> str:
    return f"/c/{escape(token)}/images/{escape(generation_id)}/{index}.png"


def _og(*, selection: Selection, chef: str, first: service.Option | None, url: str, base: str) -> str:
    description = selection.note or f"Варианты дизайна торта от {chef}. Выберите понравившийся."
    tags = [("og:type", "website"), ("og:site_name", "Тортоделова"), ("og:locale", "ru_RU"),
            ("og:title", selection.title), ("og:description", description[:300]), ("og:url", url)]
    if first is not None:
        tags += [("og:image", base + image_path(selection.token, first.generation.id, first.index)),
                 ("og:image:width", str(first.generation.width)), ("og:image:height", str(first.generation.height))]
    lines = [f'<meta property="{escape(name)}" content="{escape(value)}">' for name, value in tags]
    lines.append('<meta name="twitter:card" content="summary_large_image">')
    return "\n".join(lines)


def _chef_line(owner) -> str:
    name = owner.display_name or "Кондитер"
    contact = f' · <span class="contact">{escape(owner.contact)}</span>' if owner.contact else ""
    return f'<p class="chef">Кондитер: <b class="chef-name">{escape(name)}</b>{contact}</p>'


def _option_html(token: str, option: service.Option, total: int, chosen: bool, inscription: str | None) -> str:
    generation = option.generation
    caption = f'<span class="num">Вариант {option.number}</span> из {total}'
    if inscription:
        caption += f'<br><span class="inscription">Надпись: «{escape(inscription)}»</span>'
    button = ("Ваш выбор ✓ (выбрать снова)" if chosen else "Выбираю этот")
    return (f'<figure class="option{" chosen" if chosen else ""}" id="v{option.number}">'
            f'<img src="{image_path(token, generation.id, option.index)}" width="{generation.width}" '
            f'height="{generation.height}" alt="Дизайн торта, вариант {option.number}" loading="lazy">'
            f'<figcaption>{caption}'
            f'<button type="submit" name="pick" value="{escape(generation.id)}:{option.index}">{button}</button>'
            f'</figcaption></figure>')


def render_page(*, selection: Selection, owner, options: list[service.Option], chosen: service.Option | None,
                base: str, error: str | None = None, typed: dict | None = None) -> str:
    token = selection.token
    url = service.customer_url(base, token)
    chef = owner.display_name or "кондитера"
    parts = [HEAD.format(title=escape(f"{selection.title} — Тортоделова"), style=STYLE,
                         og=_og(selection=selection, chef=chef, first=options[0] if options else None, url=url,
                                base=base)),
             _chef_line(owner), f"<h1>{escape(selection.title)}</h1>"]
    if selection.note:
        parts.append(f'<p class="note">{escape(selection.note)}</p>')
    if error:
        parts.append(f'<p class="banner error" role="alert" id="error">{escape(error)}</p>')
    if selection.agreed_at is not None and chosen is not None:
        parts.append(_agreed_html(selection, chosen, token))
    elif not options:
        parts.append('<p class="banner">Кондитер убрал все дизайны из этой подборки.</p>')
    else:
        parts.append(_choice_form(selection, options, chosen, token, typed or {}))
    if selection.expires_at is not None and selection.agreed_at is None:
        until = selection.expires_at.astimezone(agreed_cards.MSK).strftime("%d.%m.%Y %H:%M")
        parts.append(f'<p class="small">Ссылка действует до {until} (МСК).</p>')
    parts.append('<footer>Подборка сделана в Тортоделове — дизайн торта по описанию.</footer></main></body></html>')
    return "\n".join(parts)


def _agreed_html(selection: Selection, chosen: service.Option, token: str) -> str:
    generation = chosen.generation
    agreed = selection.agreed_at.astimezone(agreed_cards.MSK).strftime("%d.%m.%Y")
    inscription = (f'<p class="inscription">Надпись: «{escape(generation.inscription)}»</p>'
                   if generation.inscription else "")
    comment = (f'<p class="note">Ваш комментарий: {escape(selection.comment)}</p>' if selection.comment else "")
    return (f'<section class="agreed" id="agreed"><p class="banner ok">Согласовано {agreed}: '
            f'вариант {chosen.number}. Кондитер подтвердил ваш выбор.</p>'
            f'<img src="{image_path(token, generation.id, chosen.index)}" width="{generation.width}" '
            f'height="{generation.height}" alt="Согласованный дизайн торта">{inscription}{comment}'
            f'<a class="button" id="card" href="/c/{escape(token)}/card.pdf" download>'
            f'Скачать карточку дизайна для печати</a></section>')


def _choice_form(selection: Selection, options, chosen, token: str, typed: dict) -> str:
    total = len(options)
    parts = []
    if chosen is not None:
        when = selection.chosen_at.astimezone(agreed_cards.MSK).strftime("%d.%m.%Y %H:%M")
        parts.append(f'<p class="banner ok" id="chosen">Вы выбрали вариант {chosen.number} ({when} МСК). '
                     f'Кондитер увидит ваш ответ. Передумали — выберите другой, пока кондитер не подтвердил.</p>')
    parts.append(f'<form method="post" action="/c/{escape(token)}/choice" id="choice-form">')
    if total > 1:
        parts.append(f'<p class="hint">{total} вариантов — листайте вбок →</p><nav class="dots">'
                     + "".join(f'<a href="#v{o.number}">{o.number}</a>' for o in options) + "</nav>")
    parts.append('<div class="strip">')
    for option in options:
        is_chosen = chosen is not None and option == chosen
        parts.append(_option_html(token, option, total, is_chosen, option.generation.inscription))
    parts.append("</div>")
    comment = typed.get("comment", selection.comment or "")
    contacts_known = bool(selection.customer_name or selection.customer_phone)
    parts.append(
        f'<fieldset><label for="comment">Комментарий для кондитера (необязательно)</label>'
        f'<textarea id="comment" name="comment" maxlength="{COMMENT_MAX}" '
        f'placeholder="Например: второй, но без ягод и надпись золотом">{escape(comment)}</textarea>'
        f'<label for="name">Ваше имя (необязательно)</label>'
        f'<input type="text" id="name" name="name" maxlength="{NAME_MAX}" autocomplete="name">'
        f'<label for="phone">Телефон (необязательно)</label>'
        f'<input type="tel" id="phone" name="phone" maxlength="{PHONE_MAX}" autocomplete="tel">'
        + ('<p class="small">Ваши имя и телефон уже переданы кондитеру; их видит только он. '
           'Оставьте поля пустыми, чтобы не менять.</p>' if contacts_known else
           '<p class="small">Имя и телефон видит только кондитер.</p>')
    )
    if chosen is not None:
        parts.append(f'<input type="hidden" name="generation_id" value="{escape(chosen.generation.id)}">'
                     f'<input type="hidden" name="index" value="{chosen.index}">'
                     f'<button type="submit" class="secondary" id="save-comment">Сохранить комментарий</button>')
    else:
        parts.append('<p class="small">Нажмите «Выбираю этот» под понравившимся дизайном — '
                     'комментарий отправится вместе с выбором.</p>')
    parts.append("</fieldset></form>")
    return "\n".join(parts)


# ---------------------------------------------------------------- limits and checks at this edge
def _throttle(settings: Settings, request: Request, *, what: str, limit: str) -> None:
    from tortodelova.accounts.throttle import _item, limiter_for

    item, keys = _item(limit), (f"tortodelova:{settings.queue_name}:customer-{what}", client_ip(request))
    limiter = limiter_for(settings)
    try:
        allowed = limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001 - the counter store is down: the page stays usable, bodies stay bounded
        logger.warning("customer page throttle unavailable", exc_info=True)
        return
    if not allowed:
        reset = limiter.get_window_stats(item, *keys).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise RateLimited(TOO_MANY.format(minutes=max(1, math.ceil(retry_after / 60))), retry_after=retry_after)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def same_site(request: Request, settings: Settings) -> bool:
    """A browser posting from another site says so in Origin (or at least Referer): only this site may post. A
    client sending neither is no browser on a foreign page (curl, the JSON API)."""
    allowed = {_origin(settings.public_url), _origin(str(request.base_url))} - {None}
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("referer")
    if referer is not None:
        return _origin(referer) in allowed
    return True


def _parse_choice(content_type: str, body: bytes) -> tuple[dict, bool]:
    """(fields, is_form). The form's «Выбираю этот» button sends `pick=<generation_id>:<index>`."""
    if content_type == "application/json":
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise InvalidInput("Ожидается объект JSON с полем generation_id")
        return data, False
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                                     max_num_fields=20, strict_parsing=False).items()}
        except (UnicodeDecodeError, ValueError):
            raise InvalidInput("Форма пришла повреждённой — обновите страницу и попробуйте снова") from None
        pick = fields.pop("pick", None)
        if pick and ":" in pick:
            fields["generation_id"], fields["index"] = pick.rsplit(":", 1)
        return fields, True
    raise UnsupportedMediaType("Отправьте форму страницы или JSON")


# ---------------------------------------------------------------- routes
def _view(session, token, base: str, *, error: str | None = None, typed: dict | None = None) -> str:
    selection = service.get_public(session=session, token=token)
    owner = service.owner_of(session=session, selection=selection)
    options = service.options(service.designs(session=session, selection=selection))
    chosen = service.chosen_option(session=session, selection=selection)
    return render_page(selection=selection, owner=owner, options=options, chosen=chosen, base=base, error=error,
                       typed=typed)


@router.get("/c/{token}", response_class=HTMLResponse)
def customer_page(token: str, request: Request, services: ServicesDep, session: SessionDep):
    try:
        _throttle(services.settings, request, what="page", limit=services.settings.customer_page_limit)
        return _page_response(_view(session, token, _base(request, services.settings)))
    except NotFound as exc:
        return gone_page(exc.message)
    except RateLimited as exc:
        return gone_page(exc.message, 429, heading="Слишком много запросов")


@router.post("/c/{token}/choice")
async def choose(token: str, request: Request, services: ServicesDep, session: SessionDep):
    settings = services.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = content_type != "application/json"
    typed: dict = {}
    try:
        if not same_site(request, settings):
            raise Forbidden(CROSS_SITE)
        _throttle(settings, request, what="choice", limit=settings.customer_choice_limit)
        body = await request.body()
        if len(body) > CHOICE_MAX_BYTES:
            raise PayloadTooLarge(f"Слишком длинный ответ: не больше {CHOICE_MAX_BYTES // 1024} КиБ")
        fields, is_form = _parse_choice(content_type, body)
        typed = {"comment": fields.get("comment")} if isinstance(fields.get("comment"), str) else {}
        choice = parse_request(fields, ChoiceRequest)
        await run_in_threadpool(service.choose, session=session, token=token, choice=choice)
    except DomainError as exc:
        if not is_form:
            raise
        if isinstance(exc, NotFound):
            return gone_page(exc.message)
        if isinstance(exc, (Forbidden, RateLimited, PayloadTooLarge, UnsupportedMediaType)):
            return gone_page(exc.message, exc.status, heading="Ответ не принят")
        # A refused answer (409 once agreed, 422 bad input): the page again, with what the customer typed.
        try:
            html = await run_in_threadpool(_view, session, token, _base(request, settings), error=exc.message,
                                           typed=typed)
        except NotFound as gone:
            return gone_page(gone.message)
        return _page_response(html, exc.status)
    if not is_form:
        return JSONResponse({"ok": True}, headers=PRIVATE_HEADERS)
    # Post/redirect/get: a reload shows the page, it does not send the answer again.
    return RedirectResponse(f"/c/{token}#chosen", status_code=303, headers=PRIVATE_HEADERS)


@router.get("/c/{token}/images/{generation_id}/{index}.png")
def customer_image(token: str, generation_id: str, index: int, services: ServicesDep, session: SessionDep):
    selection = service.get_public(session=session, token=token)
    for option in service.options(service.designs(session=session, selection=selection)):
        if option.generation.id == generation_id and option.index == index:
            return image_response(store=services.store, key=option.generation.image_keys[index],
                                  seconds=services.settings.presign_seconds, redirect=False)
    raise NotFound("Изображение не найдено")


@router.get("/c/{token}/card.pdf")
async def customer_card(token: str, request: Request, services: ServicesDep, session: SessionDep):
    from tortodelova.cards import service as cards

    base = _base(request, services.settings)

    def build() -> tuple[bytes, str]:
        content = agreed_cards.agreed_card(session=session, store=services.store, token=token,
                                           page_url=service.customer_url(base, token))
        return cards.render(content, "pdf"), agreed_cards.filename(content)

    try:
        data, name = await run_in_threadpool(build)
    except NotFound as exc:
        return gone_page(exc.message)
    return Response(data, media_type="application/pdf",
                    headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

