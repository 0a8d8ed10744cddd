"""«Создать»: the prompt with examples, style, size, variants, the advanced fold, the live price, the translation
check, then queue position, progress with step previews, the images, «Ещё варианты» and «Похожий дизайн»."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.billing import pricing
from tortodelova.errors import DomainError, InsufficientCredits
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import FINAL_STATUSES, Generation
from tortodelova.generation.schemas import GenerationCreate
from tortodelova.pipeline.prompts import DEFAULT_STYLE, STYLES
from tortodelova.services import Services
from tortodelova.ui import render
from tortodelova.ui.common import db, handler, notify, origin, plural_credits, require_user, warn

EXAMPLES = [
    "Двухъярусный свадебный торт с белой мастикой, живыми пионами и золотой поталью",
    "Шоколадный торт с подтёками ганаша, клубникой и макарунами",
    "Детский торт с единорогом, радугой из безе и надписью \"С днём рождения, Маша\"",
    "Бенто-торт в пастельных тонах с кремовыми цветами",
    "Муссовый торт с зеркальной глазурью цвета морской волны",
    "Голый торт с ягодами, веточками розмарина и сахарной пудрой",
]
SIZE_CHOICES = [("Квадрат", "square"), ("Портрет", "portrait"), ("Альбом", "landscape")]
QUALITY_CHOICES = [("Быстро", "fast"), ("Качественно", "standard")]
POLL_SECONDS = 1.0


@dataclass
class CreateTab:
    prompt: gr.Textbox
    style: gr.Dropdown
    size: gr.Radio
    variants: gr.Slider
    quality: gr.Radio
    seed: gr.Textbox
    negative: gr.Textbox
    price: gr.Markdown
    translate_btn: gr.Button
    translation: gr.HighlightedText
    prompt_en: gr.Textbox
    translation_box: gr.Column
    generate_btn: gr.Button
    topup_btn: gr.Button
    status: gr.HTML
    gallery: gr.Gallery
    downloads: gr.HTML
    actions: gr.Column
    more_btn: gr.Button
    similar_btn: gr.Button
    strength: gr.Slider
    cancel_btn: gr.Button
    generation_id: gr.State
    selected_index: gr.State
    timer: gr.Timer


def layout() -> CreateTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=300):
            prompt = gr.Textbox(label="Опишите торт по-русски", lines=3, max_length=500, elem_id="create-prompt",
                                placeholder="Например: трёхъярусный торт с белым кремом и свежими ягодами")
            gr.Examples(EXAMPLES, inputs=[prompt], label="Примеры — нажмите, чтобы подставить",
                        examples_per_page=6)
            style = gr.Dropdown([(s.title, s.id) for s in STYLES.values()], value=DEFAULT_STYLE, label="Стиль",
                                elem_id="create-style")
            with gr.Row():
                size = gr.Radio(SIZE_CHOICES, value="square", label="Размер", elem_id="create-size")
                variants = gr.Slider(1, pricing.MAX_VARIANTS, value=1, step=1, label="Вариантов",
                                     elem_id="create-variants")
            with gr.Accordion("Дополнительно", open=False, elem_id="create-advanced"):
                quality = gr.Radio(QUALITY_CHOICES, value="standard", label="Качество", elem_id="create-quality",
                                   info="«Быстро» — за секунды и вдвое дешевле, «Качественно» — детальнее")
                # Text, not gr.Number: a Number shows 0 when empty (always the same seed) and checks its range in
                # English; the service parses the digits and answers in Russian.
                seed = gr.Textbox(label="Seed (пусто — случайный)", max_length=12, elem_id="create-seed",
                                  placeholder="например 12345")
                negative = gr.Textbox(label="Чего не должно быть (по-английски или по-русски)", max_length=500,
                                      elem_id="create-negative")
            translate_btn = gr.Button("Проверить перевод", variant="secondary", size="sm",
                                      elem_id="create-translate")
            with gr.Column(visible=False, elem_classes=["td-card"]) as translation_box:
                translation = gr.HighlightedText(label="Так модель поймёт описание (термины выделены)",
                                                 show_legend=False, combine_adjacent=True,
                                                 elem_id="create-translation")
                prompt_en = gr.Textbox(label="Английский промпт — можно поправить перед генерацией", lines=2,
                                       max_length=generation_service.PROMPT_EN_MAX_CHARS, elem_id="create-prompt-en")
            price = gr.Markdown(price_text("square", "standard", 1), elem_id="create-price",
                                elem_classes=["td-price"])
            generate_btn = gr.Button("Создать дизайн", variant="primary", elem_id="create-generate")
            topup_btn = gr.Button("Пополнить баланс", variant="secondary", visible=False, elem_id="create-topup")
        with gr.Column(scale=6, min_width=300):
            status = gr.HTML(elem_id="create-status")
            gallery = gr.Gallery(label="Результат", columns=2, height="auto", object_fit="contain",
                                 buttons=["fullscreen"], interactive=False, elem_id="create-gallery")
            downloads = gr.HTML(elem_id="create-downloads")
            with gr.Column(visible=False, elem_id="create-actions") as actions:
                with gr.Row():
                    more_btn = gr.Button("Ещё варианты", size="sm", elem_id="create-more")
                    similar_btn = gr.Button("Похожий дизайн", size="sm", elem_id="create-similar")
                    cancel_btn = gr.Button("Отменить", size="sm", variant="stop", visible=False,
                                           elem_id="create-cancel")
                strength = gr.Slider(generation_service.STRENGTH_RANGE[0], generation_service.STRENGTH_RANGE[1],
                                     value=0.6, step=0.05, elem_id="create-strength",
                                     label="Похожий дизайн: насколько менять выбранный вариант (нажмите на него)")
    return CreateTab(
        prompt=prompt, style=style, size=size, variants=variants, quality=quality, seed=seed, negative=negative,
        price=price, translate_btn=translate_btn, translation=translation, prompt_en=prompt_en,
        translation_box=translation_box, generate_btn=generate_btn, topup_btn=topup_btn, status=status,
        gallery=gallery, downloads=downloads, actions=actions, more_btn=more_btn, similar_btn=similar_btn,
        strength=strength, cancel_btn=cancel_btn, generation_id=gr.State(None), selected_index=gr.State(0),
        timer=gr.Timer(POLL_SECONDS, active=False),
    )


def price_text(size, quality, variants) -> str:
    try:
        cost = pricing.price(size=size, quality=quality, variants=int(variants or 1))
    except (DomainError, TypeError, ValueError):
        return ""
    return f"Стоимость: **{plural_credits(cost)}**"


def wire(tab: CreateTab, services: Services, token: gr.BrowserState, header: gr.HTML, tabs: gr.Tabs) -> None:
    result_outputs = [tab.generation_id, tab.status, tab.gallery, tab.downloads, tab.actions, tab.cancel_btn,
                      tab.timer, tab.topup_btn, header, tab.selected_index]

    def started(session, user, generation: Generation, request) -> dict:
        public = generation_service.to_public(session=session, settings=services.settings, generation=generation)
        return {tab.generation_id: generation.id, tab.status: render.progress_html(public), tab.gallery: [],
                tab.downloads: "", tab.actions: gr.Column(visible=True), tab.cancel_btn: gr.Button(visible=True),
                tab.timer: gr.Timer(active=True), tab.topup_btn: gr.Button(visible=False),
                tab.selected_index: 0, header: render.header_html(user)}

    def submit(token_value, request: gr.Request, body: GenerationCreate) -> dict:
        with db(services) as session:
            user = require_user(session, services, token_value)
            try:
                generation = generation_service.submit(session=session, settings=services.settings,
                                                       queue=services.queue, user=user, request=body)
            except InsufficientCredits as exc:
                warn(exc.message)
                return {tab.status: render.message_html(
                            f"{exc.message} Ничего не списано.", "warning"),
                        tab.topup_btn: gr.Button(visible=True)}
            session.refresh(user)
            return started(session, user, generation, request)

    @handler
    def generate(token_value, prompt, style, size, variants, quality, seed, negative, prompt_en,
                 request: gr.Request):
        body = GenerationCreate(prompt=prompt, style=style, size=size, variants=int(variants or 1), quality=quality,
                                seed=(seed or "").strip() or None, negative_prompt=negative or None,
                                prompt_en=prompt_en or None)
        return submit(token_value, request, body)

    @handler
    def more_variants(token_value, generation_id, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            source = generation_service.get_owned(session=session, user=user, generation_id=generation_id)
            body = GenerationCreate(prompt=source.prompt_ru, style=source.style, size=source.size,
                                    variants=source.variants, quality=source.quality,
                                    negative_prompt=source.negative_prompt or None,
                                    prompt_en=source.prompt_en if source.prompt_en_given else None)
        return submit(token_value, request, body)

    @handler
    def similar(token_value, generation_id, selected_index, strength, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            source = generation_service.get_owned(session=session, user=user, generation_id=generation_id)
            body = GenerationCreate(prompt=source.prompt_ru, style=source.style, size=source.size, variants=1,
                                    quality=source.quality, negative_prompt=source.negative_prompt or None,
                                    prompt_en=source.prompt_en if source.prompt_en_given else None,
                                    init_generation_id=source.id, init_index=int(selected_index or 0),
                                    strength=float(strength))
        return submit(token_value, request, body)

    @handler
    def poll(token_value, generation_id, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            if not generation_id:
                return {tab.timer: gr.Timer(active=False)}
            generation = generation_service.get_owned(session=session, user=user, generation_id=generation_id)
            public = generation_service.to_public(session=session, settings=services.settings,
                                                  generation=generation)
            done = generation.status in FINAL_STATUSES
            preview = None if done else generation.preview_png
            base = origin(services, request)
            out = {tab.status: render.progress_html(public, preview), tab.timer: gr.Timer(active=not done),
                   tab.cancel_btn: gr.Button(visible=not done)}
            if done:
                session.refresh(user)
                out.update({tab.gallery: render.gallery_items(public, base),
                            tab.downloads: render.downloads_html(public, base), header: render.header_html(user)})
            return out

    @handler
    def cancel(token_value, generation_id):
        with db(services) as session:
            user = require_user(session, services, token_value)
            generation_service.cancel(session=session, user=user, generation_id=generation_id)
        notify("Генерация отменена, кредиты возвращены")
        return gr.Timer(active=True)

    @handler
    def select_variant(token_value, evt: gr.SelectData):
        with db(services) as session:
            require_user(session, services, token_value)
        return int(evt.index or 0)

    @handler
    def translate(token_value, prompt):
        with db(services) as session:
            require_user(session, services, token_value)
        result = generation_service.translate(settings=services.settings, queue=services.queue, prompt=prompt)
        return (gr.Column(visible=True), render.highlighted_translation(result["prompt_en"], result["terms"]),
                result["prompt_en"])

    def price(size, quality, variants):
        return price_text(size, quality, variants)

    form = [tab.prompt, tab.style, tab.size, tab.variants, tab.quality, tab.seed, tab.negative, tab.prompt_en]
    tab.generate_btn.click(generate, [token, *form], result_outputs, api_name="create_generate",
                           concurrency_limit=4)
    tab.more_btn.click(more_variants, [token, tab.generation_id], result_outputs, api_name="create_more")
    tab.similar_btn.click(similar, [token, tab.generation_id, tab.selected_index, tab.strength], result_outputs,
                          api_name="create_similar")
    tab.timer.tick(poll, [token, tab.generation_id], result_outputs, api_name="create_poll",
                   show_progress="hidden")
    tab.cancel_btn.click(cancel, [token, tab.generation_id], [tab.timer], api_name="create_cancel")
    tab.gallery.select(select_variant, [token], [tab.selected_index], api_name="create_select_variant",
                       show_progress="hidden")
    tab.translate_btn.click(translate, [token, tab.prompt], [tab.translation_box, tab.translation, tab.prompt_en],
                            api_name="create_translate")
    # The English box belongs to the text it was translated from: editing the Russian text drops it (browser-only).
    tab.prompt.input(None, None, [tab.prompt_en], js="() => ''")
    gr.on([tab.size.change, tab.quality.change, tab.variants.change], price, [tab.size, tab.quality, tab.variants],
          [tab.price], api_name="price", show_progress="hidden", queue=False)

    def open_balance_tab():
        return gr.Tabs(selected="balance")

    tab.topup_btn.click(open_balance_tab, None, [tabs], api_visibility="private", queue=False)
