"""«Фото-образец»: the customer's photo, uploaded through the same service as POST /api/uploads, and variations of it
(img2img) submitted like any generation (charged, shown in «Мои дизайны»)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from tortodelova.generation import service as generations
from tortodelova.generation.schemas import GenerationRequest, parse_request
from tortodelova.limits import STRENGTH_DEFAULT, STRENGTH_RANGE
from tortodelova.ui.common import Ctx, notify
from tortodelova.uploads import service as uploads


@dataclass
class ReferencePanel:
    photo: gr.Image
    prompt: gr.Textbox
    strength: gr.Slider
    create_btn: gr.Button
    status: gr.Markdown


def build() -> ReferencePanel:
    with gr.Group(elem_id="reference-panel"):
        photo = gr.Image(label="Фото-образец от заказчика", type="filepath", sources=["upload"], buttons=[],
                         elem_id="reference-photo")
        prompt = gr.Textbox(label="Что изменить или сохранить", lines=2, max_length=500,
                            placeholder="Например: такой же торт, но в розовых тонах и с ягодами",
                            elem_id="reference-prompt")
        strength = gr.Slider(STRENGTH_RANGE[0], STRENGTH_RANGE[1], value=STRENGTH_DEFAULT, step=0.05,
                             label="Насколько отходить от фото (меньше — ближе к образцу)",
                             elem_id="reference-strength")
    create_btn = gr.Button("Создать вариации по фото", variant="primary", elem_id="reference-create")
    status = gr.Markdown("", elem_id="reference-status")
    return ReferencePanel(photo=photo, prompt=prompt, strength=strength, create_btn=create_btn, status=status)


def create(ctx: Ctx, photo, prompt, strength):
    if not photo:
        gr.Warning("Загрузите фото-образец", title="Внимание")
        return gr.skip()
    path = Path(photo if isinstance(photo, str) else getattr(photo, "path", photo))
    data = path.read_bytes()[: ctx.settings.max_upload_bytes + 1]
    request = parse_request({"prompt": prompt, "init_upload_id": "pending", "strength": strength},
                            GenerationRequest)
    upload = uploads.create(session=ctx.session, store=ctx.services.store, settings=ctx.settings, user=ctx.user,
                            data=data)
    request = request.model_copy(update={"init_upload_id": upload.id})
    generation = generations.submit(session=ctx.session, settings=ctx.settings, queue=ctx.services.queue,
                                    user=ctx.user, request=request)
    notify("Вариации по фото поставлены в очередь — они появятся в «Мои дизайны»")
    return f"Задание принято: {generation.variants} изобр., списано {generation.cost} кредитов. Смотрите «Мои дизайны»."
