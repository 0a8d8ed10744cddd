"""«Фото-образец»: the customer's photo, uploaded through the same service as POST /api/uploads, and variations of it
(img2img) submitted like any generation (charged, shown in «Мои дизайны»)."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.ui import contract
from tortodelova.ui.common import Ctx, notify
from tortodelova.vocabulary import STRENGTH_DEFAULT, STRENGTH_RANGE


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
    generation = contract.submit_with_photo(ctx, photo, prompt=prompt, strength=strength)
    notify("Вариации по фото поставлены в очередь — они появятся в «Мои дизайны»")
    return f"Задание принято: {generation.variants} изобр., списано {generation.cost} кредитов. Смотрите «Мои дизайны»."
