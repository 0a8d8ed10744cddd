"""«Демо»: one free design for a visitor without an account, then an invitation to register.

The guest identity is a server-signed id kept in the browser (`gr.BrowserState`) plus the client IP; the claim token
is kept next to it so the design moves into «Мои дизайны» as soon as the visitor registers or signs in.
"""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.container import Services
from tortodelova.demo import service as demo_service
from tortodelova.errors import DomainError, Forbidden, NotFound
from tortodelova.generation.models import FINAL_STATUSES
from tortodelova.pipeline.prompts import DEFAULT_STYLE
from tortodelova.ui import contract, render
from tortodelova.ui.common import Ctx, bind

POLL_SECONDS = 1.0
DEMO_EXAMPLE = "Нежный торт с белым кремом, свежей клубникой и веточками мяты"
INTRO = ("### Попробуйте бесплатно\nОдин дизайн без регистрации: опишите торт своими словами и нажмите "
         "«Создать бесплатно». После регистрации — кредиты в подарок; изображение 512×512 стоит 10 кредитов.")


@dataclass
class DemoTab:
    intro: gr.Markdown
    form: gr.Column
    prompt: gr.Textbox
    style: gr.Dropdown
    style_info: gr.Markdown
    create_btn: gr.Button
    status: gr.HTML
    gallery: gr.Gallery
    invite: gr.Column
    register_btn: gr.Button
    timer: gr.Timer


def layout() -> DemoTab:
    intro = gr.Markdown(INTRO, elem_id="demo-intro")
    with gr.Column(elem_id="demo-form") as form:
        prompt = gr.Textbox(label="Опишите торт", value=DEMO_EXAMPLE, lines=2, max_length=500, elem_id="demo-prompt")
        style = gr.Dropdown(render.style_choices(), value=DEFAULT_STYLE, label="Стиль", elem_id="demo-style")
        style_info = gr.Markdown(render.style_info(DEFAULT_STYLE), elem_classes=["td-muted", "td-style-info"])
        create_btn = gr.Button("Создать бесплатно", variant="primary", elem_id="demo-create")
    status = gr.HTML(elem_id="demo-status")
    gallery = gr.Gallery(show_label=False, columns=1, height="auto", object_fit="contain", interactive=False,
                         buttons=["fullscreen"], elem_id="demo-gallery")
    with gr.Column(visible=False, elem_classes=["td-card", "td-invite"], elem_id="demo-invite") as invite:
        gr.Markdown("**Понравилось?** Зарегистрируйтесь — новым пользователям дарим кредиты, а этот дизайн "
                    "сохранится в «Мои дизайны».")
        register_btn = gr.Button("Зарегистрироваться", variant="primary", elem_id="demo-register")
    return DemoTab(intro=intro, form=form, prompt=prompt, style=style, style_info=style_info, create_btn=create_btn,
                   status=status, gallery=gallery, invite=invite, register_btn=register_btn,
                   timer=gr.Timer(POLL_SECONDS, active=False))


def outputs(tab: DemoTab) -> list:
    return [tab.intro, tab.form, tab.status, tab.gallery, tab.invite, tab.timer]


def guest_id_of(services: Services, guest) -> str | None:
    cookie = guest.get("guest") if isinstance(guest, dict) else None
    return demo_service.guest_from_cookie(services.settings, cookie if isinstance(cookie, str) else None)


def view(tab: DemoTab, ctx: Ctx, guest, *, signed_in: bool) -> dict:
    """What the demo tab shows for this browser: the form, the running demo, or its result and the invitation."""
    found = None
    guest_id = guest_id_of(ctx.services, guest)
    if guest_id:
        found = demo_service.guest_generation(session=ctx.session, guest_id=guest_id)
    hidden = {tab.status: "", tab.gallery: [], tab.invite: gr.Column(visible=False), tab.timer: gr.Timer(active=False)}
    if signed_in:
        intro = "Вы вошли в аккаунт — создавайте дизайны во вкладке «Создать»."
        if found:
            intro += " Ваш демо-дизайн сохранён в «Мои дизайны»."
        return {tab.intro: intro, tab.form: gr.Column(visible=False), **hidden}
    if found is not None and isinstance(guest, dict) and guest.get("claimed"):
        return {tab.intro: "Бесплатный демо-дизайн уже использован и сохранён в аккаунте. Войдите, чтобы "
                           "продолжить.", tab.form: gr.Column(visible=False), **hidden}
    if found is None:
        return {tab.intro: INTRO, tab.form: gr.Column(visible=True), **hidden}
    generation, _claim_token = found
    public = contract.view_of(ctx, generation)
    done = generation.status in FINAL_STATUSES
    return {tab.form: gr.Column(visible=False),
            tab.status: render.progress_html(public, None if done else generation.preview_png),
            tab.gallery: render.gallery_items(public, ctx.base) if done else [],
            tab.invite: gr.Column(visible=done), tab.timer: gr.Timer(active=not done)}


# Both handlers are open to visitors by design; they only ever show the design of the guest id the server signed
# for this browser.
def create(ctx: Ctx, guest, prompt, style, *, tab: DemoTab, guest_state: gr.BrowserState):
    settings = ctx.settings
    sent = guest.get("guest") if isinstance(guest, dict) else None
    guest_id, cookie = demo_service.guest_identity(settings, sent if isinstance(sent, str) else None)
    ip = ctx.request.client.host if ctx.request is not None and ctx.request.client else "unknown"
    generation, claim_token = demo_service.create(session=ctx.session, settings=settings, queue=ctx.services.queue,
                                                  guest_id=guest_id, ip=ip, prompt=prompt, style=style)
    new_guest = {"guest": cookie, "claim": claim_token, "id": generation.id, "claimed": False}
    return {guest_state: new_guest, **view(tab, ctx, new_guest, signed_in=False)}


def poll(ctx: Ctx, guest, *, tab: DemoTab):
    return view(tab, ctx, guest, signed_in=False)


def refused(exc, *, tab: DemoTab, **_bound):
    """At the limit (used, or the daily cap): say so next to the form and offer registration instead."""
    return {tab.status: render.message_html(exc.message, "warning"), tab.invite: gr.Column(visible=True)}


def wire(tab: DemoTab, services: Services, guest_state: gr.BrowserState) -> None:
    tab.create_btn.click(bind(create, services, auth="public", refused=refused, tab=tab, guest_state=guest_state),
                         [guest_state, tab.prompt, tab.style], [guest_state, *outputs(tab)], api_name="demo_create",
                         concurrency_limit=4, show_progress="hidden")
    tab.style.change(render.style_info, [tab.style], [tab.style_info], api_visibility="private", queue=False,
                     show_progress="hidden")
    tab.timer.tick(bind(poll, services, auth="public", tab=tab), [guest_state], outputs(tab), api_name="demo_poll",
                   show_progress="hidden")


def claim_into(session, user, guest, settings=None) -> tuple[dict | None, str | None]:
    """Claim this browser's demo design for the user who just signed in. Returns the new guest state (or None when
    nothing changed) and a message for the user."""
    if not isinstance(guest, dict) or guest.get("claimed") or not isinstance(guest.get("claim"), str):
        return None, None
    try:
        demo_service.claim(session=session, user=user, claim_token=guest["claim"], settings=settings)
    except Forbidden:  # the address is not confirmed yet: the design waits in this browser until it is
        return None, None
    except NotFound:
        return {**guest, "claim": None, "claimed": True}, None
    except DomainError:  # already claimed (by this account on another device, or another one)
        return {**guest, "claimed": True}, None
    return {**guest, "claimed": True}, "Демо-дизайн добавлен в «Мои дизайны»"

