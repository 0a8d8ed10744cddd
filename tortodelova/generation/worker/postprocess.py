"""The one place where finished pictures change before they are stored (the lettering of issue 12 hooks in here).

`postprocess` receives the job (its generation row, translation, built prompt and resolved inscription) and the
pictures the generator made for it, and returns what to store: `images` (shown, e.g. lettered) and, when they differ,
`plain` (the same pictures untouched, stored next to them and served as `plain_url`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only
    from tortodelova.generation.worker.context import WorkerContext
    from tortodelova.generation.worker.orchestrate import Job


@dataclass
class Finished:
    images: list
    plain: list | None = None  # set only when `images` were changed (lettering drawn)


def postprocess(ctx: WorkerContext, job: Job, images: list) -> Finished:
    """SD's pictures as they are, or, with an inscription, lettered copies plus the untouched pictures."""
    if job.inscription is None:
        return Finished(images=list(images))
    from tortodelova.pipeline import lettering  # issue 12; a refusal is a PipelineError: failed and refunded

    spec = lettering.inscription(job.inscription.text, font=job.inscription.font, color=job.inscription.color,
                                 position=job.inscription.position)
    return Finished(images=[lettering.draw(image, spec) for image in images], plain=list(images))
