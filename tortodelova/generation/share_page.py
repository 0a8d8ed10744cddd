"""The public page behind a share link: works on a phone, previews in messengers (Open Graph), 404 once revoked.

Every value from the design (the description, the inscription, the token) is HTML-escaped.
"""
from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tortodelova.container import ServicesDep, SessionDep
from tortodelova.errors import NotFound
from tortodelova.generation import service
from tortodelova.generation.image_response import image_response

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta property="og:type" content="website">
<meta property="og:site_name" content="Тортоделова">
<meta property="og:locale" content="ru_RU">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">
<meta property="og:image" content="{image}">
<meta property="og:image:width" content="{width}"><meta property="og:image:height" content="{height}">
<meta property="og:url" content="{url}">
<meta name="twitter:card" content="summary_large_image">
<style>
 body {{ margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:#fbf7f4;
        color:#3b2f2f; }}
 main {{ max-width: 720px; margin: 0 auto; padding: 16px; }}
 h1 {{ font-size: 1.3rem; margin: 8px 0 16px; }}
 img {{ width: 100%; height: auto; border-radius: 14px; box-shadow: 0 4px 18px rgba(80,40,30,.15);
       margin-bottom: 12px; }}
 .meta {{ color:#7a6a66; font-size: .9rem; }}
 .brand {{ font-weight: 700; font-size: 1.1rem; color:#c76f7c; }}
 .description, .inscription {{ overflow-wrap: anywhere; }}
 .cta {{ display:inline-block; margin-top: 18px; padding: 12px 20px; background:#c76f7c; color:#fff;
        border-radius: 10px; text-decoration:none; font-weight:600; }}
</style></head>
<body><main>
<header class="brand">Тортоделова</header>
<h1>Дизайн торта</h1>
{images}
<p class="description">{description}</p>
{inscription}
<p class="meta">Создано {date} в Тортоделове — дизайн торта по описанию</p>
<a class="cta" href="/">Создать свой дизайн торта</a>
</main></body></html>"""


@router.get("/s/{token}", response_class=HTMLResponse)
def shared_page(token: str, request: Request, services: ServicesDep, session: SessionDep):
    try:
        generation = service.get_shared(session=session, token=token)
    except NotFound:
        return HTMLResponse("<!doctype html><html lang='ru'><meta charset='utf-8'><title>Ссылка недействительна"
                            "</title><p>Ссылка недействительна или отозвана.</p><a href='/'>Тортоделова</a></html>",
                            status_code=404)
    base = services.settings.public_url or str(request.base_url).rstrip("/")
    images = "\n".join(
        f'<img src="/s/{escape(token)}/images/{i}.png" alt="Дизайн торта, вариант {i + 1}">'
        for i in range(len(generation.image_keys))
    )
    return HTMLResponse(PAGE.format(
        title="Дизайн торта — Тортоделова", description=escape(generation.prompt_ru),
        inscription=(f'<p class="inscription">Надпись: «{escape(generation.inscription)}»</p>'
                     if generation.inscription else ""),
        image=f"{base}/s/{escape(token)}/images/0.png", url=f"{base}/s/{escape(token)}",
        width=generation.width, height=generation.height, images=images,
        date=generation.created_at.strftime("%d.%m.%Y"),
    ))


@router.get("/s/{token}/images/{index}.png")
def shared_image(token: str, index: int, services: ServicesDep, session: SessionDep):
    generation = service.get_shared(session=session, token=token)
    return image_response(store=services.store, key=service.image_key_for(generation, index),
                          seconds=services.settings.presign_seconds, redirect=False)
