"""Designs as the worker leaves them (rows + objects in the real store), made fast for the lifecycle tests."""
from __future__ import annotations

import os
import uuid
from datetime import timedelta

from tortodelova.db import utcnow
from tortodelova.generation.models import Generation
from tortodelova.storage import image_key


def make_designs(services, user_id: int, count: int, *, image_bytes: int = 4096, plain_every: int = 5,
                 payload: bytes | None = None) -> list[Generation]:
    """`count` succeeded designs of one image each (every `plain_every`-th with a plain copy), objects in the store.
    The bytes are random (incompressible), so the archive is as large as the images."""
    made = []
    data = payload or os.urandom(image_bytes)
    with services.session_factory() as session:
        for n in range(count):
            generation_id = str(uuid.uuid4())
            key = image_key(owner=f"users/{user_id}", generation_id=generation_id, index=0)
            services.store.put(key, data)
            params = {}
            if plain_every and n % plain_every == 0:
                plain = key.removesuffix(".png") + "-plain.png"
                services.store.put(plain, data[::-1])
                params["plain_keys"] = [plain]
            generation = Generation(
                id=generation_id, user_id=user_id, status="succeeded", prompt_ru=f"Торт №{n} с клубникой",
                prompt_en=f"cake number {n} with strawberries", style="classic", size="square", width=512,
                height=512, variants=1, quality="standard", seeds=[1000 + n], cost=0, params=params,
                image_keys=[key], inscription="С днём рождения" if params else None,
                created_at=utcnow() - timedelta(minutes=count - n), progress=1.0)
            session.add(generation)
            made.append(generation)
        session.commit()
        for generation in made:
            session.refresh(generation)
            session.expunge(generation)
    return made
