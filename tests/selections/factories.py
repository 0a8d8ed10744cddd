"""Factories for selection tests: a chef with a profile, finished designs with real pictures in the store."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageDraw, ImageFont

from tortodelova.db import utcnow
from tortodelova.generation.models import Generation
from tortodelova.storage import image_key

COLOURS = ["#f4c2c2", "#c9e4de", "#faedcb", "#c6def1", "#dbcdf0", "#f2c6de"]


def picture(number: int, size: int = 256) -> bytes:
    """A recognisable cake-ish picture with its number on it (so screenshots show which is which)."""
    image = Image.new("RGB", (size, size), COLOURS[number % len(COLOURS)])
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * .15, size * .35, size * .85, size * .85), fill="#fff7f0", outline="#b06078", width=4)
    draw.rectangle((size * .2, size * .45, size * .8, size * .75), fill="#f7d6e0")
    draw.text((size * .42, size * .04), str(number), fill="#5a2d36", font=ImageFont.load_default(size=size // 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_design(services, user_id: int, *, variants: int = 2, inscription: str | None = None,
                prompt: str = "Двухъярусный торт с пионами", status: str = "succeeded", first_number: int = 1) -> str:
    """A finished design of `user_id` (the row and its pictures in the store), without running the pipeline."""
    generation_id = str(uuid.uuid4())
    keys = []
    for index in range(variants if status == "succeeded" else 0):
        key = image_key(owner=f"users/{user_id}", generation_id=generation_id, index=index)
        services.store.put(key, picture(first_number + index))
        keys.append(key)
    with services.session_factory() as session:
        session.add(Generation(id=generation_id, user_id=user_id, status=status, progress=1.0, prompt_ru=prompt,
                               style="classic", size="square", width=256, height=256, variants=variants,
                               quality="fast", seeds=list(range(variants)), image_keys=keys,
                               inscription=inscription, finished_at=utcnow()))
        session.commit()
    return generation_id


@pytest.fixture
def design_factory(services):
    """design_factory(user_id, variants=2, inscription=None, prompt=..., status=...) → generation id."""
    counter = {"n": 0}

    def make(user_id: int, **options) -> str:
        counter["n"] += options.get("variants", 2)
        return make_design(services, user_id, first_number=counter["n"], **options)

    return make
