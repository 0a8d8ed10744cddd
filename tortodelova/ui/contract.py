"""The one place where the UI meets the generation service's request and response types.

The UI renders a plain dict of the public generation (`view_of`) whose images carry short-lived signed links, so
the rest of the UI does not change when the service's types do.
"""
from __future__ import annotations

from pathlib import Path

from tortodelova.generation import service as generation_service
from tortodelova.generation.image_links import SignedLinks
from tortodelova.generation.models import Generation
from tortodelova.generation.public import public_page
from tortodelova.generation.schemas import GenerationRequest, TranslateRequest, parse_request
from tortodelova.uploads import service as uploads

ACTIVE_STATUSES = ("queued", "running")


def submit(ctx, **fields) -> Generation:
    """Submit a generation for `ctx.user`: fields as in the REST request (prompt, style, size, variants, …)."""
    request = parse_request({k: v for k, v in fields.items() if v is not None})
    return generation_service.submit(session=ctx.session, settings=ctx.settings, queue=ctx.services.queue,
                                     user=ctx.user, request=request)


def submit_with_photo(ctx, photo, **fields) -> Generation:
    """A generation that starts from a customer's photo (img2img): `photo` is what gr.Image(type="filepath") sends.

    The request is checked before the photo is stored, so a wrong form leaves no upload behind."""
    fields = {k: v for k, v in fields.items() if v is not None}
    parse_request({**fields, "init_upload_id": "pending"}, GenerationRequest)
    upload = uploads.create(session=ctx.session, store=ctx.services.store, settings=ctx.settings, user=ctx.user,
                            data=photo_bytes(ctx, photo))
    return submit(ctx, **fields, init_upload_id=upload.id)


def photo_bytes(ctx, photo) -> bytes:
    """The uploaded file's bytes, one byte past the limit at most (the uploads service refuses it in Russian)."""
    path = Path(photo if isinstance(photo, str) else getattr(photo, "path", photo))
    with path.open("rb") as file:
        return file.read(ctx.settings.max_upload_bytes + 1)


def views_of(ctx, generations: list[Generation]) -> list[dict]:
    """`GenerationPublic` of a page (queue positions in one query) as dicts; every image has `signed_url`, a path the
    browser may load for a while. The inscription is its text."""
    out = []
    for public in public_page(session=ctx.session, generations=generations, links=SignedLinks(ctx.settings)):
        item = public.model_dump()
        item["inscription"] = public.inscription.text if public.inscription else None
        out.append(item)
    return out


def view_of(ctx, generation: Generation) -> dict:
    return views_of(ctx, [generation])[0]


def translate(ctx, prompt, negative_prompt=None) -> dict:
    """The preview through the job's own translation path (the Russian negative prompt too)."""
    request = parse_request({"prompt": prompt, "negative_prompt": negative_prompt or None}, TranslateRequest)
    result = generation_service.translate(settings=ctx.settings, queue=ctx.services.queue, request=request,
                                          session=ctx.session, user=ctx.user)
    return result.model_dump() if hasattr(result, "model_dump") else dict(result)


def settings_of(generation: Generation) -> dict:
    """The request fields that made this design, for «Ещё варианты» and «Повторить с этими настройками»."""
    return {
        "prompt": generation.prompt_ru, "style": generation.style, "size": generation.size,
        "variants": generation.variants, "quality": generation.quality,
        "negative_prompt": generation.negative_prompt or None,
        "prompt_en": generation.prompt_en if generation.prompt_en_given else None,
    }


def recent_jobs(ctx, limit: int = 6) -> list[Generation]:
    """The user's latest designs that are not (yet) finished images: queued, running, failed, cancelled."""
    items, _total = generation_service.list_for_user(session=ctx.session, user=ctx.user, limit=limit * 3)
    return [g for g in items if g.status != "succeeded"][:limit]


def active_job(ctx) -> Generation | None:
    """The user's newest queued or running design: what a reload or a second tab resumes."""
    items, _total = generation_service.list_for_user(session=ctx.session, user=ctx.user, limit=20)
    return next((g for g in items if g.status in ACTIVE_STATUSES), None)
