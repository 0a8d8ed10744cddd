"""«Создать»: one screen from idea to image.

Left: the prompt, style (with its description), size, variants, the price and the button, then the advanced fold,
the translation check and examples. Right (under the button on a phone): progress with step previews, what the model
is asked for, the images, the design actions row and the user's jobs. The jobs come from the database, so a reload
or a second tab resumes them. Handlers are module-level; `wire()` only connects events.
"""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova import vocabulary
from tortodelova.billing import pricing
from tortodelova.container import Services
from tortodelova.errors import DomainError, InsufficientCredits
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import FINAL_STATUSES
from tortodelova.pipeline.prompts import DEFAULT_STYLE
from tortodelova.ui import account, contract, render
from tortodelova.ui.common import Ctx, bind, notify, plural_credits, warn

EXAMPLES = [
    "Двухъярусный свадебный торт с белой мастикой, живыми пионами и золотой поталью",
    "Шоколадный торт с подтёками ганаша, клубникой и макарунами",
    "Детский торт с единорогом, радугой из безе и надписью \"С днём рождения, Маша\"",
    "Бенто-торт в пастельных тонах с кремовыми цветами",
    "Муссовый торт с зеркальной глазурью цвета морской волны",
    "Голый торт с ягодами, веточками розмарина и сахарной пудрой",
]
SIZE_CHOICES = [(size.name, size.id) for size in vocabulary.SIZES.values()]
QUALITY_CHOICES = [(title, quality) for quality, title in vocabulary.QUALITY_TITLES.items()]
# One line each: what the chef gets for the wait and the price (issue 20).
QUALITY_HELP = (
    "- **Черновик** — быстрее и дешевле всего: прикинуть идею, потом «Доработать» понравившийся вариант\n"
    "- **Быстро** — за секунды и вдвое дешевле «Качественно»: хорошее изображение для переписки с заказчиком\n"
    "- **Качественно** — дольше всего (до минут на процессоре), зато самые чёткие детали — для итогового макета"
)
REFINE_NOTE = ("Черновик можно доработать: та же композиция и то же зерно, но прорисовка в выбранном качестве "
               "(нажмите на вариант, чтобы выбрать его).")
POLL_SECONDS = 1.0
VISITOR_NOTE = ("**Чтобы создать дизайн, войдите или зарегистрируйтесь** — новым пользователям дарим кредиты. "
                "Один дизайн без регистрации — во вкладке «Попробовать бесплатно».")


@dataclass
class CreateTab:
    prompt: gr.Textbox
    style: gr.Dropdown
    style_info: gr.Markdown
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
    final_prompt: gr.HTML
    generate_btn: gr.Button
    topup_btn: gr.Button
    notice: gr.HTML
    status: gr.HTML
    check: gr.HTML
    gallery: gr.Gallery
    downloads: gr.HTML
    job_row: gr.Row
    actions: gr.Column
    more_btn: gr.Button
    similar_btn: gr.Button
    repeat_btn: gr.Button
    cancel_btn: gr.Button
    strength: gr.Slider
    refine_row: gr.Column  # «Доработать» for a draft (shown only when the shown design is a draft)
    refine_fast_btn: gr.Button
    refine_standard_btn: gr.Button
    photo: gr.Image  # «Фото-образец»: a customer's photo the design starts from (img2img)
    photo_strength: gr.Slider
    jobs: gr.HTML
    generation_id: gr.State  # the job whose progress is shown
    source_id: gr.State  # the design whose images are shown (variations start from it)
    selected_index: gr.State
    timer: gr.Timer
    examples: gr.Dataset


def layout() -> CreateTab:
    with gr.Row(equal_height=False, elem_id="create-grid"):
        with gr.Column(scale=5, min_width=300, elem_id="create-form"):
            prompt = gr.Textbox(label="Опишите торт по-русски", lines=3, max_length=vocabulary.PROMPT_MAX_CHARS,
                                elem_id="create-prompt",
                                placeholder="Например: трёхъярусный торт с белым кремом и свежими ягодами")
            style = gr.Dropdown(render.style_choices(), value=DEFAULT_STYLE, label="Стиль", elem_id="create-style")
            style_info = gr.Markdown(render.style_info(DEFAULT_STYLE), elem_id="create-style-info",
                                     elem_classes=["td-muted", "td-style-info"])
            with gr.Row(elem_classes=["td-size-row"]):
                size = gr.Radio(SIZE_CHOICES, value="square", label="Размер", elem_id="create-size")
                variants = gr.Slider(1, pricing.MAX_VARIANTS, value=1, step=1, label="Вариантов", buttons=[],
                                     elem_id="create-variants")
            price = gr.Markdown(price_text("square", "standard", 1), elem_id="create-price",
                                elem_classes=["td-price"])
            with gr.Row(elem_classes=["td-create-buttons"]):
                generate_btn = gr.Button("Создать дизайн", variant="primary", elem_id="create-generate")
                topup_btn = gr.Button("Пополнить баланс", variant="secondary", visible=False, elem_id="create-topup")
            notice = gr.HTML(elem_id="create-notice")
        with gr.Column(scale=6, min_width=300, elem_id="create-result"):
            status = gr.HTML(elem_id="create-status")
            check = gr.HTML(elem_id="create-check")
            gallery = gr.Gallery(label="Результат", columns=2, height="auto", object_fit="contain",
                                 buttons=["fullscreen"], interactive=False, elem_id="create-gallery")
            downloads = gr.HTML(elem_id="create-downloads")
            # The job's own actions, then the design actions row (shown with the images): later features plug their
            # buttons in there.
            with gr.Row(visible=False, elem_id="create-job-actions", elem_classes=["td-design-actions"]) as job_row:
                repeat_btn = gr.Button("Повторить с этими настройками", size="sm", elem_id="create-repeat")
                cancel_btn = gr.Button("Отменить", size="sm", variant="stop", visible=False, elem_id="create-cancel")
            with gr.Column(visible=False, elem_id="create-actions") as actions:
                with gr.Row(elem_classes=["td-design-actions"]):
                    more_btn = gr.Button("Ещё варианты", size="sm", elem_id="create-more")
                    similar_btn = gr.Button("Похожий дизайн", size="sm", elem_id="create-similar")
                strength = gr.Slider(*vocabulary.STRENGTH_RANGE, value=vocabulary.STRENGTH_DEFAULT, step=0.05,
                                     buttons=[], elem_id="create-strength",
                                     label="Похожий дизайн: насколько менять выбранный вариант (нажмите на него)")
                with gr.Column(visible=False, elem_id="create-refine") as refine_row:
                    gr.Markdown(REFINE_NOTE, elem_classes=["td-muted"])
                    with gr.Row(elem_classes=["td-design-actions"]):
                        refine_fast_btn = gr.Button("Доработать: быстро", size="sm", elem_id="create-refine-fast")
                        refine_standard_btn = gr.Button("Доработать: качественно", size="sm", variant="primary",
                                                        elem_id="create-refine-standard")
            jobs = gr.HTML(elem_id="create-jobs")
        with gr.Column(scale=5, min_width=300, elem_id="create-extra"):
            with gr.Accordion("Дополнительно", open=False, elem_id="create-advanced"):
                quality = gr.Radio(QUALITY_CHOICES, value="standard", label="Качество", elem_id="create-quality")
                gr.Markdown(QUALITY_HELP, elem_id="create-quality-help", elem_classes=["td-muted"])
                # Text, not gr.Number: a Number shows 0 when empty (always the same seed) and checks its range in
                # English; the service parses the digits and answers in Russian.
                seed = gr.Textbox(label="Зерно случайности (пусто — случайное)", max_length=12,
                                  elem_id="create-seed", placeholder="например 12345")
                negative = gr.Textbox(label="Чего не должно быть (по-английски или по-русски)",
                                      max_length=vocabulary.PROMPT_MAX_CHARS, elem_id="create-negative")
                with gr.Group(elem_id="create-reference"):
                    photo = gr.Image(label="Фото-образец от заказчика (необязательно)", type="filepath",
                                     sources=["upload"], buttons=[], height=200, elem_id="create-photo")
                    photo_strength = gr.Slider(*vocabulary.STRENGTH_RANGE, value=vocabulary.STRENGTH_DEFAULT,
                                               step=0.05, buttons=[], elem_id="create-photo-strength",
                                               label="Насколько отходить от фото (меньше — ближе к образцу)")
            translate_btn = gr.Button("Проверить перевод", variant="secondary", size="sm",
                                      elem_id="create-translate")
            with gr.Column(visible=False, elem_classes=["td-card"]) as translation_box:
                translation = gr.HighlightedText(label="Так модель поймёт описание (термины выделены)",
                                                 show_legend=False, combine_adjacent=True,
                                                 elem_id="create-translation", elem_classes=["td-en"])
                prompt_en = gr.Textbox(label="Английский промпт — можно поправить перед генерацией", lines=2,
                                       max_length=vocabulary.PROMPT_EN_MAX_CHARS, elem_id="create-prompt-en")
                final_prompt = gr.HTML(elem_id="create-final-prompt")
            # A Dataset of indexes with our own click handler rather than gr.Examples, whose handler answered
            # a request with no example ([null]) or a foreign index with a 500.
            examples = gr.Dataset(components=[prompt], samples=[[text] for text in EXAMPLES], type="index",
                                  label="Примеры — нажмите, чтобы подставить", samples_per_page=6,
                                  elem_id="create-examples")
    return CreateTab(
        prompt=prompt, style=style, style_info=style_info, size=size, variants=variants, quality=quality, seed=seed,
        negative=negative, price=price, translate_btn=translate_btn, translation=translation, prompt_en=prompt_en,
        translation_box=translation_box, final_prompt=final_prompt, generate_btn=generate_btn, topup_btn=topup_btn,
        notice=notice, status=status, check=check, gallery=gallery, downloads=downloads, job_row=job_row,
        actions=actions,
        more_btn=more_btn, similar_btn=similar_btn, repeat_btn=repeat_btn, cancel_btn=cancel_btn, strength=strength,
        refine_row=refine_row, refine_fast_btn=refine_fast_btn, refine_standard_btn=refine_standard_btn,
        photo=photo, photo_strength=photo_strength, jobs=jobs, generation_id=gr.State(None),
        source_id=gr.State(None), selected_index=gr.State(0),
        timer=gr.Timer(POLL_SECONDS, active=False), examples=examples,
    )


def pick_example(index):
    """The example's text into «Описание»; anything but a shown example's index changes nothing."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(EXAMPLES):
        return gr.skip()
    return EXAMPLES[index]


def price_text(size, quality, variants) -> str:
    try:
        cost = pricing.price(size=size, quality=quality, variants=int(variants or 1))
    except (DomainError, TypeError, ValueError):
        return ""
    return f"Стоимость: **{plural_credits(cost)}**"


def form_fields(tab: CreateTab) -> list:
    return [tab.prompt, tab.style, tab.size, tab.variants, tab.quality, tab.seed, tab.negative, tab.prompt_en]


def session_outputs(tab: CreateTab) -> list:
    return [tab.generation_id, tab.status, tab.check, tab.timer, tab.cancel_btn, tab.job_row, tab.actions, tab.jobs,
            tab.notice, tab.topup_btn, *form_fields(tab)[:5]]


def signed_out_view(tab: CreateTab) -> dict:
    return {tab.generation_id: None, tab.status: "", tab.check: "", tab.timer: gr.Timer(active=False),
            tab.cancel_btn: gr.Button(visible=False), tab.job_row: gr.Row(visible=False),
            tab.actions: gr.Column(visible=False), tab.jobs: "",
            tab.notice: "", tab.topup_btn: gr.Button(visible=False)}


def jobs_view(tab: CreateTab, ctx: Ctx) -> dict:
    return {tab.jobs: render.jobs_html(contract.views_of(ctx, contract.recent_jobs(ctx)))}


def resume_view(tab: CreateTab, ctx: Ctx) -> dict:
    """After a reload or in a second tab: the running job with its live progress, and the job list."""
    out = {**signed_out_view(tab), **jobs_view(tab, ctx)}
    active = contract.active_job(ctx)
    if active is not None:
        public = contract.view_of(ctx, active)
        out.update({tab.generation_id: active.id, tab.status: render.progress_html(public, active.preview_png),
                    tab.check: render.check_html(public), tab.timer: gr.Timer(active=True),
                    tab.cancel_btn: gr.Button(visible=True), tab.job_row: gr.Row(visible=True)})
        # The form as it was sent, so the chef sees what is being drawn (the browser forgot it on reload).
        out.update({k: v for k, v in fill_form(tab, active).items() if k in form_fields(tab)[:5]})
    return out


def _started(tab: CreateTab, ctx: Ctx, generation, header) -> dict:
    ctx.session.refresh(ctx.user)
    public = contract.view_of(ctx, generation)
    return {tab.generation_id: generation.id, tab.status: render.progress_html(public),
            tab.check: render.check_html(public), tab.notice: "", tab.job_row: gr.Row(visible=True),
            tab.cancel_btn: gr.Button(visible=True), tab.timer: gr.Timer(active=True),
            tab.topup_btn: gr.Button(visible=False), header.user: render.header_html(ctx.user),
            **jobs_view(tab, ctx)}


def _submit(tab: CreateTab, ctx: Ctx, header, photo=None, **fields) -> dict:
    if photo:
        return _submit_with(tab, ctx, header, lambda: contract.submit_with_photo(ctx, photo, **fields))
    return _submit_with(tab, ctx, header, lambda: contract.submit(ctx, **fields))


def _submit_with(tab: CreateTab, ctx: Ctx, header, make) -> dict:
    try:
        generation = make()
    except InsufficientCredits as exc:
        # Its own place under the button: the progress of another job cannot overwrite it.
        warn(exc.message, title="Недостаточно кредитов")
        return {tab.notice: render.message_html(f"{exc.message} Ничего не списано.", "warning"),
                tab.topup_btn: gr.Button(visible=True)}
    return _started(tab, ctx, generation, header)


def generate(ctx: Ctx, prompt, style, size, variants, quality, seed, negative, prompt_en, photo=None,
             photo_strength=None, *, tab: CreateTab, header: account.Header):
    """«Создать дизайн»; with a «Фото-образец» in «Дополнительно» the design is a variation of that photo."""
    if ctx.user is None:  # a visitor: the sign-in dialog opens in view; the form keeps what they typed
        return account.open_view(header, VISITOR_NOTE, "register")
    strength = None
    if photo:
        strength = vocabulary.STRENGTH_DEFAULT if photo_strength is None else photo_strength
    return _submit(tab, ctx, header, photo=photo or None, prompt=prompt, style=style, size=size,
                   variants=int(variants or 1), quality=quality, seed=(seed or "").strip() or None,
                   negative_prompt=negative or None, prompt_en=prompt_en or None, strength=strength)


def more_variants(ctx: Ctx, source_id, *, tab: CreateTab, header: account.Header):
    source = generation_service.get_owned(session=ctx.session, user=ctx.user, generation_id=source_id)
    return _submit(tab, ctx, header, **contract.settings_of(source))


def similar(ctx: Ctx, source_id, selected_index, strength, *, tab: CreateTab, header: account.Header):
    source = generation_service.get_owned(session=ctx.session, user=ctx.user, generation_id=source_id)
    fields = {**contract.settings_of(source), "variants": 1, "init_generation_id": source.id,
              "init_index": int(selected_index or 0), "strength": float(strength)}
    return _submit(tab, ctx, header, **fields)


def refine(ctx: Ctx, source_id, selected_index, *, quality: str, tab: CreateTab, header: account.Header):
    """«Доработать»: the selected draft image again in ``quality``, same composition and seed (img2img)."""
    return _submit_with(tab, ctx, header, lambda: generation_service.refine(
        session=ctx.session, settings=ctx.settings, queue=ctx.services.queue, user=ctx.user,
        generation_id=source_id, index=int(selected_index or 0), quality=quality))


def repeat(ctx: Ctx, generation_id, *, tab: CreateTab):
    """«Повторить с этими настройками»: the form is filled from the design; nothing is charged until «Создать»."""
    source = generation_service.get_owned(session=ctx.session, user=ctx.user, generation_id=generation_id)
    return fill_form(tab, source)


def fill_form(tab: CreateTab, source) -> dict:
    settings = contract.settings_of(source)
    seeds = source.seeds or []
    return {tab.prompt: settings["prompt"], tab.style: settings["style"], tab.size: settings["size"],
            tab.variants: settings["variants"], tab.quality: settings["quality"],
            tab.seed: str(seeds[0]) if seeds else "", tab.negative: settings["negative_prompt"] or "",
            tab.prompt_en: settings["prompt_en"] or ""}


def poll(ctx: Ctx, generation_id, *, tab: CreateTab, header: account.Header):
    if not generation_id:
        return {tab.timer: gr.Timer(active=False)}
    generation = generation_service.get_owned(session=ctx.session, user=ctx.user, generation_id=generation_id)
    public = contract.view_of(ctx, generation)
    done = generation.status in FINAL_STATUSES
    out = {tab.status: render.progress_html(public, None if done else generation.preview_png),
           tab.check: render.check_html(public), tab.cancel_btn: gr.Button(visible=not done),
           **jobs_view(tab, ctx)}
    if not done:
        return out
    ctx.session.refresh(ctx.user)
    out[header.user] = render.header_html(ctx.user)
    if generation.status == "succeeded":
        out.update({tab.gallery: render.gallery_items(public, ctx.base),
                    tab.downloads: render.downloads_html(public, ctx.base), tab.source_id: generation.id,
                    tab.selected_index: 0, tab.actions: gr.Column(visible=True),
                    tab.refine_row: gr.Column(visible=generation.quality == "draft")})
    following = contract.active_job(ctx)  # e.g. started in a second tab: keep following it
    out[tab.generation_id] = following.id if following else generation.id
    out[tab.timer] = gr.Timer(active=following is not None)
    return out


def cancel(ctx: Ctx, generation_id):
    generation_service.cancel(session=ctx.session, user=ctx.user, generation_id=generation_id)
    notify("Генерация отменена, кредиты возвращены")
    return gr.Timer(active=True)


def select_variant(ctx: Ctx, evt: gr.SelectData):
    return int(evt.index or 0) if isinstance(evt.index, int) else 0


def translate(ctx: Ctx, prompt, style, negative):
    result = contract.translate(ctx, prompt, negative)
    note = render.check_html({"prompt_en": result["prompt_en"], "style": style,
                              "inscription": result.get("inscription"),
                              "negative_prompt_en": result.get("negative_prompt_en"),
                              "prompt_truncated": result.get("truncated", False)})
    return (gr.Column(visible=True), render.highlighted_translation(result["prompt_en"], result["terms"]),
            result["prompt_en"], note)


def price(size, quality, variants):
    return price_text(size, quality, variants)


def style_info(style):
    return render.style_info(style)


def open_balance_tab():
    return gr.Tabs(selected="balance")


def wire(tab: CreateTab, services: Services, token: gr.BrowserState, header: account.Header, tabs: gr.Tabs) -> None:
    result_outputs = [tab.generation_id, tab.status, tab.gallery, tab.downloads, tab.check, tab.notice, tab.job_row,
                      tab.actions, tab.cancel_btn, tab.timer, tab.topup_btn, header.user, tab.jobs, tab.source_id,
                      tab.selected_index, tab.refine_row]
    auth_outputs = [header.auth_panel, header.auth_tabs, header.auth_note]
    quiet = {"show_progress": "hidden"}
    tab.generate_btn.click(bind(generate, services, auth="optional", tab=tab, header=header),
                           [token, *form_fields(tab), tab.photo, tab.photo_strength], result_outputs + auth_outputs,
                           api_name="create_generate",
                           concurrency_limit=4, **quiet)
    tab.more_btn.click(bind(more_variants, services, tab=tab, header=header), [token, tab.source_id],
                       result_outputs, api_name="create_more", **quiet)
    tab.similar_btn.click(bind(similar, services, tab=tab, header=header),
                          [token, tab.source_id, tab.selected_index, tab.strength], result_outputs,
                          api_name="create_similar", **quiet)
    for button, quality in ((tab.refine_fast_btn, "fast"), (tab.refine_standard_btn, "standard")):
        button.click(bind(refine, services, quality=quality, tab=tab, header=header),
                     [token, tab.source_id, tab.selected_index], result_outputs, api_name=f"create_refine_{quality}",
                     **quiet)
    tab.repeat_btn.click(bind(repeat, services, tab=tab), [token, tab.generation_id], form_fields(tab),
                         api_name="create_repeat", **quiet)
    tab.timer.tick(bind(poll, services, tab=tab, header=header), [token, tab.generation_id], result_outputs,
                   api_name="create_poll", **quiet)
    tab.cancel_btn.click(bind(cancel, services), [token, tab.generation_id], [tab.timer], api_name="create_cancel",
                         **quiet)
    tab.gallery.select(bind(select_variant, services), [token], [tab.selected_index],
                       api_name="create_select_variant", **quiet)
    tab.translate_btn.click(bind(translate, services), [token, tab.prompt, tab.style, tab.negative],
                            [tab.translation_box, tab.translation, tab.prompt_en, tab.final_prompt],
                            api_name="create_translate", **quiet)
    # The English box belongs to the text it was translated from: editing the Russian text drops it (browser-only).
    tab.prompt.input(None, None, [tab.prompt_en], js="() => ''")
    gr.on([tab.size.change, tab.quality.change, tab.variants.change], price, [tab.size, tab.quality, tab.variants],
          [tab.price], api_name="price", queue=False, **quiet)
    tab.style.change(style_info, [tab.style], [tab.style_info], api_name="style_info", queue=False, **quiet)
    tab.topup_btn.click(open_balance_tab, None, [tabs], api_visibility="private", queue=False, **quiet)
    tab.examples.click(pick_example, [tab.examples], [tab.prompt], api_name="load_example",
                       api_visibility="undocumented", queue=False, **quiet)
