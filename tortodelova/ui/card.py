"""«Для заказчика»: pick a finished design, letter it (live preview, free), download the customer card (PDF or
PNG), keep the baker's name and contact that the card prints, and make variations of a customer's photo.

Every handler goes through `bind` (the token is verified on the server) and calls the same services as REST.
"""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from gradio.processing_utils import save_bytes_to_cache
from gradio.utils import get_upload_folder

from tortodelova.accounts import profile
from tortodelova.cards import service as cards
from tortodelova.container import Services
from tortodelova.generation import service as generations
from tortodelova.generation.image_links import share_url
from tortodelova.ui import account, lettering, reference
from tortodelova.ui.common import Ctx, bind, fmt_date, notify

SIGNED_OUT_TEXT = "Войдите, чтобы готовить карточки и надписи для заказчиков."


@dataclass
class BakerTab:
    intro: gr.Markdown
    design: gr.Dropdown
    lettering: lettering.LetteringPanel
    card_pdf_btn: gr.Button
    card_png_btn: gr.Button
    card_file: gr.File
    display_name: gr.Textbox
    contact: gr.Textbox
    profile_btn: gr.Button
    reference: reference.ReferencePanel


def layout() -> BakerTab:
    intro = gr.Markdown(SIGNED_OUT_TEXT, elem_id="baker-intro")
    design = gr.Dropdown(choices=[], value=None, label="Дизайн", elem_id="baker-design")
    with gr.Row(elem_id="baker-grid"):
        with gr.Column(min_width=280):
            panel = lettering.build()
        with gr.Column(min_width=280):
            gr.Markdown("### Карточка для заказчика")
            with gr.Row():
                card_pdf_btn = gr.Button("Карточка для печати", elem_id="card-pdf")
                card_png_btn = gr.Button("Карточка-картинка", elem_id="card-png")
            card_file = gr.File(label="Карточка", interactive=False, elem_id="card-file")
            gr.Markdown("### Кондитер на карточке")
            display_name = gr.Textbox(label="Имя или название кондитерской", max_length=profile.DISPLAY_NAME_MAX,
                                      elem_id="profile-name")
            contact = gr.Textbox(label="Контакт (телефон, мессенджер, сайт)", max_length=profile.CONTACT_MAX,
                                 elem_id="profile-contact")
            profile_btn = gr.Button("Сохранить профиль", elem_id="profile-save")
    gr.Markdown("### Фото-образец от заказчика")
    ref = reference.build()
    return BakerTab(intro=intro, design=design, lettering=panel, card_pdf_btn=card_pdf_btn,
                    card_png_btn=card_png_btn, card_file=card_file, display_name=display_name, contact=contact,
                    profile_btn=profile_btn, reference=ref)


def design_choices(ctx: Ctx) -> list[tuple[str, str]]:
    items, _ = generations.list_for_user(session=ctx.session, user=ctx.user, limit=50, status="succeeded")
    return [(f"{fmt_date(g.created_at)} · {g.prompt_ru[:60]}", g.id) for g in items]


def show(ctx: Ctx, *, tab: BakerTab):
    choices = design_choices(ctx)
    first = choices[0][1] if choices else None
    text, font, color, position = lettering.initial(ctx, first)
    intro = ("Выберите готовый дизайн." if choices else
             "Готовых дизайнов пока нет — создайте дизайн во вкладке «Создать».")
    return {tab.intro: intro, tab.design: gr.Dropdown(choices=choices, value=first),
            tab.lettering.text: text, tab.lettering.font: font, tab.lettering.color: color,
            tab.lettering.position: position,
            tab.lettering.preview: lettering.preview(ctx, first, text, font, color, position),
            tab.display_name: ctx.user.display_name or "", tab.contact: ctx.user.contact or ""}


def pick(ctx: Ctx, generation_id, *, tab: BakerTab):
    text, font, color, position = lettering.initial(ctx, generation_id)
    return {tab.lettering.text: text, tab.lettering.font: font, tab.lettering.color: color,
            tab.lettering.position: position,
            tab.lettering.preview: lettering.preview(ctx, generation_id, text, font, color, position)}


def card(ctx: Ctx, generation_id, *, fmt: str):
    if not generation_id:
        gr.Warning("Выберите дизайн", title="Внимание")
        return gr.skip()
    content = cards.content(session=ctx.session, store=ctx.services.store, user=ctx.user,
                            generation_id=generation_id, share_url=lambda token: share_url(ctx.base, token))
    # Straight into Gradio's cache (what it would copy the file to), not a temp folder per click: the cache is
    # swept by age (GRADIO_CACHE_MAX_AGE_SECONDS), a folder from mkdtemp was never removed.
    path = save_bytes_to_cache(cards.render(content, fmt), f"карточка-{content.generation_id[:8]}.{fmt}",
                               cache_dir=get_upload_folder())
    notify("Карточка готова — скачайте её ниже")
    return path


def save_profile(ctx: Ctx, display_name, contact):
    saved = profile.update(session=ctx.session, user=ctx.user,
                           changes={"display_name": display_name, "contact": contact})
    notify("Профиль сохранён: он печатается на карточке")
    return saved["display_name"] or "", saved["contact"] or ""


def open_profile(ctx: Ctx, *, header: account.Header):
    """«Профиль» in the header: the baker's name and contact, as saved."""
    return {header.profile_panel: gr.Column(visible=True), header.profile_name: ctx.user.display_name or "",
            header.profile_contact: ctx.user.contact or ""}


def wire_header(header: account.Header, services: Services, token: gr.BrowserState) -> None:
    """The profile fields reachable from the account header too (the same service as in «Для заказчика»)."""
    fields = [header.profile_name, header.profile_contact]
    header.profile_btn.click(bind(open_profile, services, header=header), [token],
                             [header.profile_panel, *fields], api_name="profile_open", show_progress="hidden")
    header.profile_save_btn.click(bind(save_profile, services), [token, *fields], fields,
                                  api_name="profile_save_header", show_progress="hidden")


def wire(tab: BakerTab, services: Services, token: gr.BrowserState, baker_tab: gr.Tab) -> None:
    panel = tab.lettering
    form = [panel.text, panel.font, panel.color, panel.position]
    baker_tab.select(bind(show, services, tab=tab), [token],
                     [tab.intro, tab.design, *form, panel.preview, tab.display_name, tab.contact],
                     api_name="baker_show", show_progress="hidden")
    tab.design.change(bind(pick, services, tab=tab), [token, tab.design], [*form, panel.preview],
                      api_name="baker_pick", show_progress="hidden")
    # Live preview: drawn here on the plain picture, nothing saved.
    gr.on([component.change for component in form], bind(lettering.preview, services), [token, tab.design, *form],
          [panel.preview], api_name="lettering_preview", show_progress="hidden", trigger_mode="always_last")
    panel.apply_btn.click(bind(lettering.apply, services), [token, tab.design, *form], [panel.preview],
                          api_name="lettering_apply")
    tab.card_pdf_btn.click(bind(card, services, fmt="pdf"), [token, tab.design], [tab.card_file], api_name="card_pdf")
    tab.card_png_btn.click(bind(card, services, fmt="png"), [token, tab.design], [tab.card_file], api_name="card_png")
    tab.profile_btn.click(bind(save_profile, services), [token, tab.display_name, tab.contact],
                          [tab.display_name, tab.contact], api_name="profile_save")
    ref = tab.reference
    ref.create_btn.click(bind(reference.create, services), [token, ref.photo, ref.prompt, ref.strength],
                         [ref.status], api_name="reference_create")
