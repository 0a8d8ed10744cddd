"""«Надпись на торте» on a finished design: text, face, colour and place with a live preview (drawn here, nothing
saved), and «Применить» that re-letters every picture of the design through the service, free of charge."""
from __future__ import annotations

import io
from dataclasses import dataclass

import gradio as gr
from PIL import Image

from tortodelova.generation import service as generations
from tortodelova.generation.inscriptions import rules
from tortodelova.generation.inscriptions import service as inscriptions
from tortodelova.generation.public import plain_keys
from tortodelova.generation.schemas import InscriptionRequest, parse_request
from tortodelova.pipeline import lettering
from tortodelova.ui.common import Ctx, notify

FONT_CHOICES = [(face.title, name) for name, face in lettering.FACES.items()]
COLOR_CHOICES = [(colour.title, name) for name, colour in lettering.COLOURS.items()]
POSITION_CHOICES = [(title, name) for name, title in lettering.POSITION_TITLES.items()]


@dataclass
class LetteringPanel:
    text: gr.Textbox
    font: gr.Radio
    color: gr.Radio
    position: gr.Radio
    preview: gr.Image
    apply_btn: gr.Button

    def inputs(self) -> list:
        return [self.text, self.font, self.color, self.position]


def build() -> LetteringPanel:
    with gr.Group(elem_id="lettering-panel"):
        text = gr.Textbox(label=f"Надпись на торте (до {lettering.MAX_CHARS} символов, пусто — без надписи)",
                          max_length=lettering.MAX_CHARS, elem_id="lettering-text")
        font = gr.Radio(FONT_CHOICES, value=lettering.DEFAULT_FONT, label="Шрифт", elem_id="lettering-font")
        color = gr.Radio(COLOR_CHOICES, value=lettering.DEFAULT_COLOR, label="Цвет", elem_id="lettering-color")
        position = gr.Radio(POSITION_CHOICES, value=lettering.DEFAULT_POSITION, label="Где",
                            elem_id="lettering-position")
    preview = gr.Image(label="Предпросмотр надписи", type="pil", interactive=False, buttons=[],
                       elem_id="lettering-preview")
    apply_btn = gr.Button("Применить ко всем изображениям (бесплатно)", variant="primary", elem_id="lettering-apply")
    return LetteringPanel(text=text, font=font, color=color, position=position, preview=preview,
                          apply_btn=apply_btn)


def plain_picture(ctx: Ctx, generation_id) -> Image.Image | None:
    """The design's first picture without lettering, or None when nothing is picked or it is not finished."""
    if not generation_id:
        return None
    generation = generations.get_owned(session=ctx.session, user=ctx.user, generation_id=generation_id)
    keys = plain_keys(generation) or generation.image_keys or []
    if generation.status != "succeeded" or not keys:
        return None
    with Image.open(io.BytesIO(ctx.services.store.get(keys[0]))) as image:
        return image.convert("RGB")


def preview(ctx: Ctx, generation_id, text, font, color, position):
    picture = plain_picture(ctx, generation_id)
    if picture is None or not (text or "").strip():
        return picture
    return lettering.draw(picture, rules.spec(text, font=font, color=color, position=position))


def apply(ctx: Ctx, generation_id, text, font, color, position):
    if not generation_id:
        gr.Warning("Выберите дизайн", title="Внимание")
        return gr.skip()
    inscription = None
    if (text or "").strip():
        inscription = parse_request({"text": text, "font": font, "color": color, "position": position},
                                    InscriptionRequest)
    inscriptions.reletter(session=ctx.session, store=ctx.services.store, user=ctx.user,
                          generation_id=generation_id, inscription=inscription)
    notify("Надпись обновлена на всех изображениях — бесплатно" if inscription else "Надпись убрана")
    return preview(ctx, generation_id, text, font, color, position)


def initial(ctx: Ctx, generation_id) -> tuple:
    """The design's current inscription (or the defaults) for the form when a design is picked."""
    if not generation_id:
        return "", lettering.DEFAULT_FONT, lettering.DEFAULT_COLOR, lettering.DEFAULT_POSITION
    generation = generations.get_owned(session=ctx.session, user=ctx.user, generation_id=generation_id)
    options = generation.inscription_options or {}
    return (generation.inscription or "", options.get("font", lettering.DEFAULT_FONT),
            options.get("color", lettering.DEFAULT_COLOR), options.get("position", lettering.DEFAULT_POSITION))
